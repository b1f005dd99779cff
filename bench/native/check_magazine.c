// SPDX-License-Identifier: GPL-2.0
/*
 * bench-native --check --shape magazine|magazine-local: both phases of the
 * check for the magazine prototype (magazine.c), through the same owner
 * table, canaries and worker loop as labyrinth's pool.
 */
#include "native.h"

static void *mag_alloc(void *p)
{
	return mag_pool_alloc(p);
}

static int mag_free(void *p, void *addr)
{
	return mag_pool_free(p, addr);
}

static unsigned int mag_alloc_bulk(void *p, void **addrs, unsigned int nr)
{
	return mag_pool_alloc_bulk(p, addrs, nr);
}

static int mag_free_bulk(void *p, void **addrs, unsigned int nr)
{
	return mag_pool_free_bulk(p, addrs, nr);
}

static const struct chk_ops mag_ops = {
	.alloc = mag_alloc,
	.free = mag_free,
	.alloc_bulk = mag_alloc_bulk,
	.free_bulk = mag_free_bulk,
};

/* Grant from the current CPU id until NULL, into @addrs (room for @room). */
static unsigned int mag_drain(struct mag_pool *mp, void **addrs, unsigned int room)
{
	unsigned int n = 0;

	while (n < room && (addrs[n] = mag_pool_alloc(mp)))
		n++;
	return n;
}

/*
 * Phase A for the magazines, from the main thread while the workers wait:
 * create errors, a drain that reaches every frame, stealing from CPU 1,
 * diverted grants and frees (CPU 0's guard held as if by an interrupted
 * context, and the window that leaves such a grant NULL), every refusal,
 * bulk grant and free of everything, and every counter, exactly.
 */
void check_api_mag(void)
{
	bool local = opt.shape == SHAPE_BL;
	unsigned int flags = local ? MAG_POOL_LOCAL : 0;
	unsigned int f = opt.frames, reach, n, got, i;
	u64 grants = 0, frees = 0, failures = 0;
	struct mag_stats ms;
	struct mag_pool *mp;
	void **all, *a, *two[3];

	all = calloc(2 * f + 2, sizeof(*all));
	if (!all)
		die("out of memory\n");
	EXPECT(mag_pool_create(0, flags) == ERR_PTR(-EINVAL), "create(0 frames)\n");
	EXPECT(mag_pool_create(8, 0x80) == ERR_PTR(-EINVAL), "create(unknown flag)\n");
	EXPECT(mag_pool_create(BIT(26) + 1, flags) == ERR_PTR(-ENOMEM),
	       "create(too many frames)\n");
	lab_shim_page_budget = f / 2;
	EXPECT(mag_pool_create(f, flags) == ERR_PTR(-ENOMEM),
	       "create with too few pages did not fail with -ENOMEM\n");
	lab_shim_page_budget = -1;
	EXPECT(!lab_shim_pages_live && !lab_shim_allocs_live,
	       "failed create leaked %ld pages, %ld blocks\n", lab_shim_pages_live,
	       lab_shim_allocs_live);
	EXPECT(mag_pool_destroy(NULL) == -EINVAL, "destroy(NULL)\n");

	mp = mag_pool_create(f, flags);
	if (IS_ERR(mp))
		die("mag_pool_create(%u): %ld\n", f, PTR_ERR(mp));
	EXPECT(lab_shim_pages_live == f, "create mapped %ld pages for %u frames\n",
	       lab_shim_pages_live, f);

	/* CPU 0 drains: its own magazines, the depot, other CPUs' magazines */
	n = mag_drain(mp, all, f + 1);
	EXPECT(n == f || (local && n < f), "drain granted %u of %u frames before NULL\n", n, f);
	EXPECT(chk_distinct(all, n), "drain granted a frame twice or a bad address\n");
	reach = n;
	grants += n;
	failures++;
	EXPECT(mag_pool_alloc_bulk(mp, two, 3) == 0, "bulk grant from an empty pool\n");
	failures++;
	EXPECT(mag_pool_destroy(mp) == -EBUSY, "destroy with frames owned\n");
	if (chk_errors || n < 16)
		goto out;

	/* frames CPU 1 freed are in CPU 1's magazines: CPU 0 must steal them */
	if (opt.threads > 1) {
		lab_shim_set_cpu(1);
		for (i = 0; i < 10; i++)
			EXPECT(mag_pool_free(mp, all[i]) == 0, "free on CPU 1\n");
		frees += 10;
		lab_shim_set_cpu(0);
		got = mag_drain(mp, all + f, 11);
		EXPECT(got == (local ? 0 : 10), "CPU 0 took %u of the 10 frames on CPU 1\n", got);
		grants += got;
		failures++;
		if (local) {
			lab_shim_set_cpu(1);
			got = mag_drain(mp, all + f, 11);
			EXPECT(got == 10, "CPU 1 took %u of its own 10 frames\n", got);
			grants += got;
			failures++;
			lab_shim_set_cpu(0);
		}
		memcpy(all, all + f, 10 * sizeof(*all));
		EXPECT(chk_distinct(all, n), "frames granted twice after stealing\n");
	}

	/* CPU 0's guard held: grants and frees go through the depot */
	mag_pool_test_hold(mp, 0, true);
	a = all[0];
	EXPECT(mag_pool_free(mp, a) == 0, "diverted free\n");
	frees++;
	EXPECT(mag_pool_alloc(mp) == a, "a diverted grant did not find the frame in the depot\n");
	grants++;
	mag_pool_test_hold(mp, 0, false);
	/* the window: free frames only in CPU 0's own magazines */
	for (i = 0; i < 5; i++)
		EXPECT(mag_pool_free(mp, all[i]) == 0, "free\n");
	frees += 5;
	mag_pool_test_hold(mp, 0, true);
	EXPECT(!mag_pool_alloc(mp), "a diverted grant reached its own CPU's magazines\n");
	failures++;
	mag_pool_test_hold(mp, 0, false);
	got = mag_drain(mp, all + f, 6);
	EXPECT(got == 5, "CPU 0 took %u of the 5 frames in its magazines\n", got);
	grants += got;
	failures++;
	memcpy(all, all + f, 5 * sizeof(*all));
	EXPECT(chk_distinct(all, n), "frames granted twice after diversion\n");
	if (chk_errors)
		goto out;

	check_refused_frees(&mag_ops, mp, all, n);
	frees += n;

	/* one bulk grant of everything gives back exactly the same frames */
	got = mag_pool_alloc_bulk(mp, all + f, f);
	EXPECT(got == reach, "bulk grant of all %u frames gave %u\n", reach, got);
	grants += got;
	failures += got < f;
	EXPECT(got == n && chk_distinct(all + f, got) && !memcmp(all, all + f, n * sizeof(*all)),
	       "bulk grant gave other frames than the drain\n");
	free_reversed_halves(&mag_ops, mp, all + f, got);
	frees += got;
	mag_pool_read_stats(mp, &ms);
	EXPECT(ms.grants == grants && ms.frees == frees && ms.failures == failures &&
	       ms.bad_addr == 4 && ms.foreign == 2 && ms.double_free == 2 && !ms.owned &&
	       !ms.bad_grant && ms.diverted == 3 && ms.nr_frames == f &&
	       (local || opt.threads < 2 || ms.steals >= 1),
	       "api counters: grants %llu/%llu frees %llu/%llu failures %llu/%llu bad %llu/4 foreign %llu/2 double %llu/2 owned %llu/0 bad grants %llu/0 diverted %llu/3 steals %llu\n",
	       ms.grants, grants, ms.frees, frees, ms.failures, failures, ms.bad_addr,
	       ms.foreign, ms.double_free, ms.owned, ms.bad_grant, ms.diverted, ms.steals);
out:
	mag_pool_test_hold(mp, 0, false);
	if (!mag_pool_destroy(mp)) {
		EXPECT(!lab_shim_pages_live && !lab_shim_allocs_live,
		       "destroy left %ld pages, %ld blocks\n", lab_shim_pages_live,
		       lab_shim_allocs_live);
	} else {
		chk_fail(NULL, "destroy of the idle magazine pool refused\n");
	}
	free(all);
}

/*
 * Phase B for the magazines, one round: a fixed pool of --frames, every
 * CPU id granting, holding, freeing, handing over and using the bulk
 * calls (and NMI stand-ins with --nmi); then every count must add up,
 * and CPU 0 alone must get every frame back: nothing stranded.
 */
void check_round_mag(unsigned int ms)
{
	bool local = opt.shape == SHAPE_BL;
	struct mag_stats st;
	struct chk_sums sum;
	struct mag_pool *mp;
	unsigned int i, n;
	void **all;

	all = calloc(opt.frames + 1, sizeof(*all));
	if (!all)
		die("out of memory\n");
	lab_shim_registry_start(opt.frames);
	memset(chk_owner, 0, opt.frames * sizeof(*chk_owner));
	memset(mbox, 0, (size_t)opt.threads * opt.threads * sizeof(*mbox));
	mp = mag_pool_create(opt.frames, local ? MAG_POOL_LOCAL : 0);
	if (IS_ERR(mp))
		die("mag_pool_create(%u): %ld\n", opt.frames, PTR_ERR(mp));
	chk_pool = mp;
	chk_ops = &mag_ops;
	chk_poisoned = false;
	lab_shim_warnings = 0;
	chk_round_reset();
	chk_round_run(ms, &sum);

	for (i = 0; i < opt.frames; i++)
		EXPECT(!chk_owner[i], "frame slot %u still owned by %u at the end\n", i,
		       chk_owner[i] - 1);
	mag_pool_read_stats(mp, &st);
	EXPECT(st.owned == 0, "%llu frames owned at the end\n", st.owned);
	EXPECT(chk_count(st.grants, sum.grants + sum.nmi_grants, sum.nmi_grants) &&
	       chk_count(st.frees, sum.frees + sum.nmi_frees, sum.nmi_frees) &&
	       chk_count(st.failures, sum.nulls + sum.shorts + sum.nmi_nulls, sum.nmi_nulls),
	       "counters: grants %llu/%llu frees %llu/%llu failures %llu/%llu\n", st.grants,
	       sum.grants + sum.nmi_grants, st.frees, sum.frees + sum.nmi_frees, st.failures,
	       sum.nulls + sum.shorts + sum.nmi_nulls);
	EXPECT(!st.bad_addr && !st.foreign && !st.double_free && !st.bad_grant,
	       "refusals: bad %llu foreign %llu double %llu bad grants %llu\n",
	       st.bad_addr, st.foreign, st.double_free, st.bad_grant);
	EXPECT(sum.handoffs == sum.received, "%llu frames handed over, %llu received\n",
	       sum.handoffs, sum.received);
	EXPECT(!lab_shim_warnings, "%ld warnings printed\n", lab_shim_warnings);

	n = mag_drain(mp, all, opt.frames + 1);
	EXPECT(n == opt.frames || (local && n < opt.frames),
	       "after the round CPU 0 reached %u of %u frames\n", n, opt.frames);
	EXPECT(chk_distinct(all, n), "the final drain granted a frame twice\n");
	EXPECT(mag_pool_free_bulk(mp, all, n) == 0, "bulk free after the final drain\n");
	if (opt.verbose) {
		printf("check: round %u: %llu grants, %llu steals, %llu diverted, %llu depot,",
		       tot.rounds + 1, st.grants, st.steals, st.diverted, st.depot);
		printf(" %llu NULL, %llu NMIs, %u of %u frames reached\n", sum.nulls, sum.nmis, n,
		       opt.frames);
	}
	EXPECT(mag_pool_destroy(mp) == 0, "destroy of an idle pool\n");
	EXPECT(!lab_shim_pages_live && !lab_shim_allocs_live,
	       "destroy left %ld pages, %ld blocks\n", lab_shim_pages_live,
	       lab_shim_allocs_live);
	lab_shim_registry_stop();
	free(all);

	tot.rounds++;
	tot.grants += st.grants;
	tot.steals += st.steals;
	tot.frees += st.frees;
	tot.handoffs += sum.handoffs;
	tot.nulls += sum.nulls;
	tot.shorts += sum.shorts;
	tot.nmis += sum.nmis;
	tot.nmi_grants += sum.nmi_grants;
	tot.nmi_inside += sum.nmi_inside;
	tot.diverted += st.diverted;
	tot.depot += st.depot;
	tot.stranded += opt.frames - n;
}
