// SPDX-License-Identifier: GPL-2.0
/*
 * labyrinth module core: parameters and the default pool.  The default
 * pool's grant and free exports are in labyrinth_pool.c, where they inline
 * the pool's fast path instead of calling it.
 *
 * Parameters are only recorded when they are set and validated together at
 * init, so that a bad value fails insmod with one line naming the parameter
 * and the reason, and before anything is reserved.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/err.h>
#include <linux/kernel.h>
#include <linux/kstrtox.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/string.h>
#include "labyrinth_internal.h"

/* Long enough for any valid number; longer text is refused, not truncated. */
#define LABYRINTH_PARAM_TEXT_MAX	24

/* A page-count parameter as the user wrote it, and its validated value. */
struct labyrinth_param {
	const char *name;
	unsigned int min;
	unsigned int value;
	bool given;
	bool too_long;
	char text[LABYRINTH_PARAM_TEXT_MAX];
};

static struct labyrinth_param nr_pages = {
	.name = "nr_pages", .min = 1, .value = LABYRINTH_DEFAULT_NR_PAGES,
};

static struct labyrinth_param max_pages = { .name = "max_pages", .min = 0 };

static bool poison;
module_param(poison, bool, 0444);
MODULE_PARM_DESC(poison,
		 "Poison freed frames of the default pool and report writes after free at grant (debugging; default N)");

/* The pool behind the default-pool exports, in labyrinth_pool.c. */
struct labyrinth_pool *labyrinth_default;

static int labyrinth_param_set(const char *val, const struct kernel_param *kp)
{
	struct labyrinth_param *p = kp->arg;

	p->given = true;
	p->too_long = val && strlen(val) >= sizeof(p->text);
	strscpy(p->text, val ?: "", sizeof(p->text));
	return 0;
}

static int labyrinth_param_get(char *buffer, const struct kernel_param *kp)
{
	const struct labyrinth_param *p = kp->arg;

	return sysfs_emit(buffer, "%u\n", p->value);
}

static const struct kernel_param_ops labyrinth_param_ops = {
	.set = labyrinth_param_set,
	.get = labyrinth_param_get,
};

module_param_cb(nr_pages, &labyrinth_param_ops, &nr_pages, 0444);
MODULE_PARM_DESC(nr_pages,
		 "Pages reserved for the default pool at load, 1 up to the memory available (default 1024 = 4 MiB)");
module_param_cb(max_pages, &labyrinth_param_ops, &max_pages, 0444);
MODULE_PARM_DESC(max_pages,
		 "Growth cap of the default pool in pages, at least nr_pages; 0 = fixed reserve (default 0)");

/**
 * labyrinth_parse_pages() - validate a page count given as text
 * @text: the parameter's value as written by the user
 * @min: smallest value allowed (1, or 0 where 0 means "off")
 * @ram_pages: pages of RAM in the machine
 * @out: the number of pages on success
 * @why: receives the reason on failure
 * @why_len: size of @why
 *
 * Return: 0, -EINVAL for text that is empty, not a decimal number or below
 * @min, or -ENOMEM for more pages than the machine has or a pool may hold.
 */
int labyrinth_parse_pages(const char *text, unsigned int min, unsigned long ram_pages,
			  unsigned int *out, char *why, size_t why_len)
{
	long long val;
	int err;

	/* decimal only: base 0 would read "0100" as octal 64 */
	err = kstrtoll(text, 10, &val);
	if (err == -ERANGE) {
		scnprintf(why, why_len, "more than the %lu pages of RAM", ram_pages);
		return -ENOMEM;
	}
	if (err) {
		scnprintf(why, why_len, "not a decimal number of pages");
		return -EINVAL;
	}
	if (val < min) {
		scnprintf(why, why_len, "must be at least %u", min);
		return -EINVAL;
	}
	if (val > ram_pages) {
		scnprintf(why, why_len, "more than the %lu pages of RAM", ram_pages);
		return -ENOMEM;
	}
	if (val > LABYRINTH_MAX_FRAMES) {
		scnprintf(why, why_len, "more than the %lu pages a pool can hold",
			  LABYRINTH_MAX_FRAMES);
		return -ENOMEM;
	}
	*out = val;
	return 0;
}

static int __init labyrinth_param_check(struct labyrinth_param *p)
{
	char why[80];
	int err;

	if (!p->given)
		return 0;
	if (p->too_long) {
		pr_err("%s=%s... rejected: longer than any number of pages\n", p->name, p->text);
		return -EINVAL;
	}
	err = labyrinth_parse_pages(p->text, p->min, totalram_pages(), &p->value, why,
				    sizeof(why));
	if (err)
		pr_err("%s=%s rejected: %s\n", p->name, p->text, why);
	return err;
}

static int __init labyrinth_params_init(void)
{
	int err;

	err = labyrinth_param_check(&nr_pages);
	if (!err)
		err = labyrinth_param_check(&max_pages);
	if (!err && max_pages.value && max_pages.value < nr_pages.value) {
		pr_err("max_pages=%u rejected: below nr_pages=%u\n", max_pages.value,
		       nr_pages.value);
		err = -EINVAL;
	}
	return err;
}

static int __init labyrinth_init(void)
{
	struct labyrinth_pool_config config = { .name = "default" };
	struct labyrinth_pool *pool;
	int err;

	err = labyrinth_params_init();
	if (err)
		return err;
	labyrinth_debugfs_init();
	config.nr_frames = nr_pages.value;
	config.max_frames = max_pages.value;
	config.flags = poison ? LABYRINTH_POOL_POISON : 0;
	pool = labyrinth_pool_create_config(&config);
	if (IS_ERR(pool)) {
		pr_err("nr_pages=%u rejected: cannot reserve that many pages (%lu available): %pe\n",
		       nr_pages.value, si_mem_available(), pool);
		labyrinth_debugfs_exit();
		return PTR_ERR(pool);
	}
	labyrinth_default = pool;
	pr_info("default pool: %u pages, growth cap %u, over %u online CPUs\n",
		nr_pages.value, max(nr_pages.value, max_pages.value), num_online_cpus());
	return 0;
}

/*
 * Clients hold a module reference while loaded, but one may have leaked
 * frames before unloading.  Those frames may still be written, so they are
 * never returned to the page allocator: they are reported and kept, and
 * everything else is released.
 */
static void __exit labyrinth_exit(void)
{
	if (labyrinth_pool_destroy(labyrinth_default))
		labyrinth_pool_abandon(labyrinth_default);
	labyrinth_debugfs_exit();
}

module_init(labyrinth_init);
module_exit(labyrinth_exit);

/**
 * labyrinth_default_pool() - the pool behind the default-pool exports
 *
 * For reading its statistics or using the bulk calls on it.  Never destroy
 * it: the module does so at unload.
 *
 * Context: Any context.
 * Return: The default pool.
 */
struct labyrinth_pool *labyrinth_default_pool(void)
{
	return labyrinth_default;
}
EXPORT_SYMBOL_NS_GPL(labyrinth_default_pool, LABYRINTH);

MODULE_DESCRIPTION("Per-CPU lock-free pools of exclusive pages for atomic context");
MODULE_AUTHOR("labyrinth developers");
MODULE_LICENSE("GPL");
MODULE_VERSION("0.1.0");
