// SPDX-License-Identifier: GPL-2.0
/*
 * labyrinth debugfs: /sys/kernel/debug/labyrinth/<pool>/stats.
 *
 * Counters are summed on read from the per-CPU counters, so grants and
 * frees never write a shared line for the sake of statistics.  No kernel
 * pointer is printed.
 */

#include <linux/atomic.h>
#include <linux/debugfs.h>
#include <linux/seq_file.h>
#include "labyrinth_internal.h"

static struct dentry *labyrinth_debugfs_root;
static atomic_t labyrinth_debugfs_seq = ATOMIC_INIT(0);

static int labyrinth_stats_show(struct seq_file *m, void *v)
{
	struct labyrinth_pool *pool = m->private;
	struct labyrinth_stats st;
	int cpu;

	labyrinth_pool_read_stats(pool, &st);
	seq_printf(m, "name            %s\n", pool->name);
	seq_printf(m, "nr_frames       %llu\n", st.nr_frames);
	seq_printf(m, "max_frames      %llu\n", st.max_frames);
	seq_printf(m, "owned           %llu\n", st.owned);
	seq_printf(m, "poison          %u\n", !!(pool->flags & LABYRINTH_POOL_POISON));
	seq_printf(m, "single_owner    %u\n", !!(pool->flags & LABYRINTH_POOL_SINGLE_OWNER));
	seq_printf(m, "zeroes          %u\n", !!(pool->flags & LABYRINTH_POOL_ZEROES));
	seq_printf(m, "grants          %llu\n", st.grants);
	seq_printf(m, "frees           %llu\n", st.frees);
	seq_printf(m, "steals          %llu\n", st.steals);
	seq_printf(m, "remote_frees    %llu\n", st.remote_frees);
	seq_printf(m, "failures        %llu\n", st.failures);
	seq_printf(m, "refills         %llu\n", st.refills);
	seq_printf(m, "refill_failures %llu\n", st.refill_failures);
	seq_printf(m, "bad_addr        %llu\n", st.bad_addr);
	seq_printf(m, "foreign         %llu\n", st.foreign);
	seq_printf(m, "double_free     %llu\n", st.double_free);
	seq_printf(m, "busy_destroy    %llu\n", st.busy_destroy);
	seq_printf(m, "poison_faults   %llu\n", st.poison_faults);
	seq_printf(m, "clean_grants    %llu\n", st.clean_grants);
	seq_printf(m, "wiped           %llu\n", st.wiped);
	/* home: the region a CPU grants from first, its own or an adopted one */
	seq_puts(m, "cpu home home_frames grants frees steals remote_frees failures\n");
	for_each_possible_cpu(cpu) {
		const struct labyrinth_pcpu *pc = per_cpu_ptr(pool->pcpu, cpu);

		seq_printf(m, "%d %u %u %llu %llu %llu %llu %llu\n", cpu, pc->home,
			   READ_ONCE(pool->regions[pc->home].backed), READ_ONCE(pc->grants),
			   READ_ONCE(pc->frees), READ_ONCE(pc->steals),
			   READ_ONCE(pc->remote_frees), READ_ONCE(pc->failures));
	}
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(labyrinth_stats);

/*
 * A directory named after the pool; a second pool of the same name gets
 * "<name>.<n>" so that both stay visible.
 */
void labyrinth_debugfs_add(struct labyrinth_pool *pool)
{
	char dir[LABYRINTH_POOL_NAME_MAX + 12];
	struct dentry *old;

	if (IS_ERR_OR_NULL(labyrinth_debugfs_root))
		return;
	old = debugfs_lookup(pool->name, labyrinth_debugfs_root);
	if (old) {
		dput(old);
		snprintf(dir, sizeof(dir), "%s.%d", pool->name,
			 atomic_inc_return(&labyrinth_debugfs_seq));
	} else {
		strscpy(dir, pool->name, sizeof(dir));
	}
	pool->debugfs = debugfs_create_dir(dir, labyrinth_debugfs_root);
	debugfs_create_file("stats", 0444, pool->debugfs, pool, &labyrinth_stats_fops);
}

void labyrinth_debugfs_remove(struct labyrinth_pool *pool)
{
	debugfs_remove_recursive(pool->debugfs);
	pool->debugfs = NULL;
}

void labyrinth_debugfs_init(void)
{
	labyrinth_debugfs_root = debugfs_create_dir("labyrinth", NULL);
}

void labyrinth_debugfs_exit(void)
{
	debugfs_remove_recursive(labyrinth_debugfs_root);
	labyrinth_debugfs_root = NULL;
}
