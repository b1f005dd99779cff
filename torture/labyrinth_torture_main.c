// SPDX-License-Identifier: GPL-2.0
/*
 * labyrinth_torture - the torture engine as a module.
 *
 * insmod runs one torture of @duration seconds on a pool of its own and
 * returns its verdict: 0 (the module stays loaded; rmmod it) when no fault
 * was found, -EIO when one was, so a shell sees PASS or FAIL in insmod's
 * exit status.  Progress and summary lines go to the kernel log, prefixed
 * "labyrinth_torture: ".
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/slab.h>

#include "labyrinth_torture.h"

static unsigned int duration = 30;
module_param(duration, uint, 0444);
MODULE_PARM_DESC(duration, "Seconds of torture, 1 to 86400 (default 30)");

static unsigned int nr_pages = 128;
module_param(nr_pages, uint, 0444);
MODULE_PARM_DESC(nr_pages, "Frames of the pool under torture (default 128)");

static unsigned int max_pages;
module_param(max_pages, uint, 0444);
MODULE_PARM_DESC(max_pages, "Growth cap of that pool, at least nr_pages; 0 = fixed (default 0)");

static bool nmi = true;
module_param(nmi, bool, 0444);
MODULE_PARM_DESC(nmi, "Grant and free in NMIs sent by IPI, where the CPU allows (default Y)");

static bool hog;
module_param(hog, bool, 0444);
MODULE_PARM_DESC(hog, "After a third of the run, hold every free page the page allocator gives (default N)");

static unsigned int hog_slack = 2048;
module_param(hog_slack, uint, 0444);
MODULE_PARM_DESC(hog_slack, "Pages above the high watermarks the hog leaves free, so that the system lives on (default 2048)");

static unsigned int onoff;
module_param(onoff, uint, 0444);
MODULE_PARM_DESC(onoff, "Milliseconds of one CPU offline/online cycle done from the kernel; 0 = none (default 0)");

static unsigned int progress = 5;
module_param(progress, uint, 0444);
MODULE_PARM_DESC(progress, "Seconds between progress lines; 0 = none (default 5)");

static int __init labyrinth_torture_init(void)
{
	struct labyrinth_torture_config config = {
		.duration = duration, .nr_pages = nr_pages, .max_pages = max_pages,
		.progress = progress, .onoff = onoff, .hog_slack = hog_slack,
		.nmi = nmi, .hog = hog,
	};
	struct labyrinth_torture_result *result;
	int ret;

	if (!duration || duration > 86400) {
		pr_err("duration=%u rejected: must be 1 to 86400 seconds\n", duration);
		return -EINVAL;
	}
	if (!nr_pages) {
		pr_err("nr_pages=0 rejected: must be at least 1\n");
		return -EINVAL;
	}
	if (max_pages && max_pages < nr_pages) {
		pr_err("max_pages=%u rejected: below nr_pages=%u\n", max_pages, nr_pages);
		return -EINVAL;
	}
	result = kzalloc(sizeof(*result), GFP_KERNEL);
	if (!result)
		return -ENOMEM;
	ret = labyrinth_torture_run(&config, result);
	kfree(result);
	return ret;
}

static void __exit labyrinth_torture_exit(void)
{
}

module_init(labyrinth_torture_init);
module_exit(labyrinth_torture_exit);

MODULE_IMPORT_NS(LABYRINTH);
MODULE_DESCRIPTION("Torture test of labyrinth: every context, hotplug, memory pressure");
MODULE_AUTHOR("labyrinth developers");
MODULE_LICENSE("GPL");
