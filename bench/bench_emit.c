// SPDX-License-Identifier: GPL-2.0
/*
 * Results and output of labyrinth_bench.ko: each allocator's result in
 * the scenario being run (bench_res[]), and the lines that print it, one
 * LABYRINTH-BENCH JSON object per result with its ratio to labyrinth_pool
 * (a labyrinth pool of the bench's own, the baseline), and the
 * LABYRINTH-BENCH-INFO line that describes the boot.
 * Only the main thread prints, into one line buffer.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cpumask.h>
#include <linux/kernel.h>
#include <linux/math64.h>
#include <linux/mm.h>
#include <linux/printk.h>
#include <linux/string.h>
#include <linux/utsname.h>

#include "../labyrinth.h"
#include "labyrinth_bench.h"

/* One output line; printk keeps records up to about 1000 bytes. */
#define BENCH_LINE_MAX		900

static const char * const bench_alloc_name[BA_NR] = {
	[BA_LAB] = "labyrinth",
	[BA_LAB_POOL] = "labyrinth_pool",
	[BA_ALLOC_PAGE] = "alloc_page",
	[BA_PAGE_POOL] = "page_pool",
	[BA_MEMPOOL] = "mempool",
	[BA_MEMPOOL_RES] = "mempool_reserve",
	[BA_OBJPOOL] = "objpool",
	[BA_LAB_STEAL] = "labyrinth_steal",
	[BA_LAB_BULK] = "labyrinth_bulk",
	[BA_LAB_SINGLE] = "labyrinth_single_owner",
	[BA_LAB_NOWIPE] = "labyrinth_no_wipe",
	[BA_FLOOR] = "floor",
};

struct bench_result bench_res[BA_NR];

/* Fill bench_res[a] from the per-run figures of one worker. */
void bench_result_of(enum bench_alloc a, const struct bench_worker *w)
{
	struct bench_result *r = &bench_res[a];

	bench_spread_of(w->ps, runs, &r->v);
	bench_spread_of(w->mcyc, runs, &r->cyc);
	memcpy(r->runv, w->ps, runs * sizeof(*r->runv));
	r->nruns = runs;
	r->fails = w->fails;
	r->errs = w->errs;
	r->status = BS_OK;
	if (r->errs) {
		r->status = BS_FAIL;
		r->note = "frees refused by the allocator";
	}
}

void bench_na(enum bench_alloc a, const char *why)
{
	bench_res[a].status = BS_NA;
	bench_res[a].note = why;
}

void bench_fail(enum bench_alloc a, const char *why)
{
	bench_res[a].status = BS_FAIL;
	bench_res[a].note = why;
}

/* ---- output ---- */

struct bench_line {
	char buf[BENCH_LINE_MAX];
	size_t len;
};

/* Only the main thread prints. */
static struct bench_line bench_line;

static __printf(2, 3) void bl_add(struct bench_line *l, const char *fmt, ...)
{
	va_list args;

	va_start(args, fmt);
	l->len += vscnprintf(l->buf + l->len, sizeof(l->buf) - l->len, fmt, args);
	va_end(args);
}

/* A number held in thousandths, printed with three decimals. */
static void bl_fix(struct bench_line *l, const char *key, u64 milli)
{
	u32 rem;
	u64 whole = div_u64_rem(milli, 1000, &rem);

	bl_add(l, ",\"%s\":%llu.%03u", key, whole, rem);
}

static void bl_ratio(struct bench_line *l, const char *key, u64 x, u64 base)
{
	if (base)
		bl_fix(l, key, div64_u64(x * 1000, base));
	else
		bl_add(l, ",\"%s\":null", key);
}

/*
 * Every allocator's runs are interleaved with the baseline's (labyrinth_pool),
 * so run r of both
 * saw the same state of the machine (host load included, under emulation):
 * the ratio is the median of the per-run ratios, with their min and max.
 */
static void bench_paired_ratio(struct bench_line *l, const struct bench_result *r,
			       const struct bench_result *base)
{
	u64 q[BENCH_MAX_RUNS];
	struct bench_spread s;
	unsigned int i;

	for (i = 0; i < r->nruns; i++)
		q[i] = base->runv[i] ? div64_u64(r->runv[i] * 1000, base->runv[i]) : 0;
	bench_spread_of(q, r->nruns, &s);
	bl_fix(l, "ratio", s.med);
	bl_fix(l, "ratio_min", s.min);
	bl_fix(l, "ratio_max", s.max);
}

/*
 * What a scenario checked, printed with failed results too: d's remote
 * frees, g's exhaustion of the page allocator.
 */
static void bench_emit_checked(struct bench_line *l, const struct bench_scn *scn,
			       const struct bench_result *r)
{
	if (scn->id == 'd' && r->remote_expected)
		bl_add(l, ",\"remote_frees\":%llu,\"remote_frees_expected\":%llu",
		       r->remote_frees, r->remote_expected);
	if (scn->id == 'g')
		bl_add(l, ",\"hog_pages\":%lu,\"buddy_exhausted\":%s",
		       r->hog, r->exhausted ? "true" : "false");
}

void bench_emit(const struct bench_scn *scn, enum bench_alloc a)
{
	/* the baseline of every ratio: labyrinth_pool */
	const struct bench_result *r = &bench_res[a], *base = &bench_res[BA_LAB_POOL];
	bool base_ok = base->status == BS_OK;
	struct bench_line *l = &bench_line;

	l->len = 0;
	bl_add(l, "{\"scenario\":\"%c\",\"allocator\":\"%s\"", scn->id, bench_alloc_name[a]);
	if (r->status != BS_OK) {
		bl_add(l, ",\"status\":\"%s\",\"note\":\"%s\"",
		       r->status == BS_NA ? "n/a" : "fail", r->note ?: "");
		bench_emit_checked(l, scn, r);
		bl_add(l, "}");
		if (r->status == BS_FAIL)
			bench.failed++;
		goto out;
	}
	bl_add(l, ",\"status\":\"ok\",\"unit\":\"%s\"", scn->unit);
	bl_fix(l, "median", r->v.med);
	bl_fix(l, "min", r->v.min);
	bl_fix(l, "max", r->v.max);
	if (base_ok && r->nruns && r->nruns == base->nruns)
		bench_paired_ratio(l, r, base);
	else
		bl_ratio(l, "ratio", r->v.med, base_ok ? base->v.med : 0);

	switch (scn->id) {
	case 'c':
		bl_fix(l, "alone", r->alone.med);
		bl_fix(l, "alone_min", r->alone.min);
		bl_fix(l, "alone_max", r->alone.max);
		bl_ratio(l, "all_over_one", r->v.med, r->alone.med);
		bl_fix(l, "cycles", r->cyc.med);
		bl_add(l, ",\"runs\":%u,\"pages_per_run\":%u", runs, iters);
		break;
	case 'd':
		bl_fix(l, "alloc_side", r->side[0].med);
		bl_fix(l, "free_side", r->side[1].med);
		bl_fix(l, "wall", r->wall.med);
		bl_fix(l, "wall_min", r->wall.min);
		bl_fix(l, "wall_max", r->wall.max);
		bl_fix(l, "cycles", r->cyc.med);
		bl_add(l, ",\"runs\":%u,\"pages_per_run\":%u", runs, cross_iters);
		bench_emit_checked(l, scn, r);
		break;
	case 'a':
	case 'b':
	case 'e':
		bl_fix(l, "cycles", r->cyc.med);
		bl_add(l, ",\"runs\":%u,\"pages_per_run\":%u", runs, iters);
		break;
	case 'f':
		bl_fix(l, "p99", r->p99);
		bl_fix(l, "p999", r->p999);
		bl_ratio(l, "ratio_p99", r->p99, base_ok ? base->p99 : 0);
		bl_fix(l, "free_p50", r->f50);
		bl_fix(l, "free_p99", r->f99);
		bl_add(l, ",\"cycles_p50\":%llu,\"cycles_p99\":%llu", r->c50, r->c99);
		bl_add(l, ",\"cycles_p999\":%llu,\"cycles_max\":%llu", r->c999, r->cmax);
		bl_add(l, ",\"samples\":%u", samples);
		bl_fix(l, "timer_overhead_ns", bench_cycles_to_mns(r->timer_c50));
		bl_fix(l, "timer_overhead_p99_ns", bench_cycles_to_mns(r->timer_c99));
		bl_add(l, ",\"timer_overhead_cycles\":%llu,\"timer_subtracted\":true",
		       r->timer_c50);
		if (a == BA_LAB_STEAL)
			bl_add(l, ",\"steals\":%llu", r->steals);
		break;
	case 'g':
		bl_add(l, ",\"ok\":%u,\"tried\":%u,\"reserve\":%u", r->ok, r->tried, r->reserve);
		bench_emit_checked(l, scn, r);
		break;
	case 'h':
		bl_fix(l, "touch", r->touch.med);
		bl_fix(l, "touch_max", r->touch.max);
		bl_fix(l, "grant_touch", r->grant_touch);
		bl_ratio(l, "ratio_grant_touch", r->grant_touch, base_ok ? base->grant_touch : 0);
		bl_add(l, ",\"bursts\":%u,\"idle_ms\":%u", bursts, idle_ms);
		break;
	}
	bl_add(l, ",\"fails\":%lu", r->fails);
	if (r->note)
		bl_add(l, ",\"note\":\"%s\"", r->note);
	bl_add(l, "}");
out:
	pr_notice("LABYRINTH-BENCH %s\n", l->buf);
}

void bench_info(void)
{
	struct labyrinth_stats st;
	struct bench_line *l = &bench_line;

	labyrinth_pool_read_stats(labyrinth_default_pool(), &st);
	l->len = 0;
	bl_add(l, "{\"kernel\":\"%s\",\"cpus_online\":%u,\"nr_cpu_ids\":%u",
	       utsname()->release, num_online_cpus(), nr_cpu_ids);
	bl_add(l, ",\"ram_pages\":%lu,\"hz\":%d", totalram_pages(), HZ);
	bl_add(l, ",\"init_on_alloc\":%d,\"init_on_free\":%d",
	       want_init_on_alloc(GFP_ATOMIC), want_init_on_free());
	bl_add(l, ",\"iters\":%u,\"cross_iters\":%u,\"runs\":%u,\"samples\":%u",
	       iters, cross_iters, runs, samples);
	bl_add(l, ",\"pool_pages\":%u,\"tries\":%u", pool_pages, tries);
	bl_add(l, ",\"scenarios\":\"%s\",\"labyrinth_default_pages\":%llu",
	       scenarios, st.nr_frames);
	bl_fix(l, "cycles_per_ns",
	       bench.cal_ns ? div64_u64(bench.cal_cycles * 1000, bench.cal_ns) : 0);
	bl_add(l, "}");
	pr_notice("LABYRINTH-BENCH-INFO %s\n", l->buf);
}
