// SPDX-License-Identifier: GPL-2.0
/*
 * bench-native --check, phase B: rounds in which every CPU id grants,
 * holds, frees, hands frames to the others and uses the bulk calls against
 * the owner table, optionally interrupted by the NMI stand-in (SIGUSR1);
 * then every count must add up and nothing may be left.  run_checks() runs
 * phase A (check_api.c, check_magazine.c) and then the rounds.
 */
#include "native.h"

static int chk_nmi_on;

static void chk_take(struct worker *w, void *addr)
{
	u64 tag;

	if (!chk_own(w, addr, 0, w->id + 1))
		return;
	if (!chk_filled(w, addr, chk_fill(), "at grant"))
		return;
	tag = ((u64)(w->id + 1) << 32) | ++w->seq;
	chk_stamp(addr, tag);
	w->held[w->nheld].addr = addr;
	w->held[w->nheld++].tag = tag;
	w->grants++;
}

/* Take held entry @i out of the table and the owner table; its address or NULL. */
static void *chk_release(struct worker *w, unsigned int i, unsigned int to)
{
	struct held h = w->held[i];

	w->held[i] = w->held[--w->nheld];
	if (!chk_canary(w, h.addr, h.tag, w->id) || !chk_own(w, h.addr, w->id + 1, to))
		return NULL;
	return h.addr;
}

static void chk_free_one(struct worker *w)
{
	void *addr = chk_release(w, rnd(w) % w->nheld, 0);
	int err;

	if (!addr)
		return;
	err = chk_ops->free(chk_pool, addr);
	if (err)
		chk_fail(w, "free of owned frame %p refused: %d\n", addr, err);
	else
		w->frees++;
}

static void chk_handoff(struct worker *w)
{
	unsigned int to = rnd(w) % (opt.threads - 1);
	void **box;
	void *addr;

	to += to >= w->id;
	box = &mbox[w->id * opt.threads + to];
	if (__atomic_load_n(box, __ATOMIC_RELAXED))
		return;		/* only @to empties it */
	addr = chk_release(w, rnd(w) % w->nheld, to + 1);
	if (!addr)
		return;
	__atomic_store_n(box, addr, __ATOMIC_RELEASE);
	w->handoffs++;
}

/* Free what other CPUs handed to CPU @me; @w is the caller (a worker or main). */
static void chk_receive(struct worker *w, unsigned int me)
{
	unsigned int from;
	void *addr;
	int err;

	for (from = 0; from < opt.threads; from++) {
		if (from == me)
			continue;
		addr = __atomic_exchange_n(&mbox[from * opt.threads + me], NULL, __ATOMIC_ACQUIRE);
		if (!addr)
			continue;
		if (!chk_canary(w, addr, 0, from) || !chk_own(w, addr, me + 1, 0))
			continue;
		err = chk_ops->free(chk_pool, addr);
		if (err) {
			chk_fail(w, "free of handed-over frame %p refused: %d\n", addr, err);
			continue;
		}
		w->frees++;
		w->received++;
	}
}

static void chk_alloc_bulk(struct worker *w)
{
	unsigned int room = opt.held - w->nheld, want, got, i;

	want = 1 + rnd(w) % (room < BULK ? room : BULK);
	got = chk_ops->alloc_bulk(chk_pool, w->scratch, want);
	if (got > want) {
		chk_fail(w, "alloc_bulk of %u returned %u\n", want, got);
		return;
	}
	if (got < want)
		w->short_bulk++;
	for (i = 0; i < got; i++)
		chk_take(w, w->scratch[i]);
}

static void chk_free_bulk(struct worker *w)
{
	unsigned int n = 1 + rnd(w) % (w->nheld < BULK ? w->nheld : BULK), i, k = 0;
	int err;

	for (i = 0; i < n; i++) {
		void *addr = chk_release(w, rnd(w) % w->nheld, 0);

		if (addr)
			w->scratch[k++] = addr;
	}
	if (rnd(w) & 1)		/* sorted: runs sharing a bitmap word */
		qsort(w->scratch, k, sizeof(*w->scratch), cmp_addr);
	err = chk_ops->free_bulk(chk_pool, w->scratch, k);
	if (err)
		chk_fail(w, "free_bulk of %u owned frames refused: %d\n", k, err);
	else
		w->frees += k;
}

void run_check(struct worker *w)
{
	struct labyrinth_stats st;
	struct mag_stats ms;

	w->in_round = true;
	while (!__atomic_load_n(&chk_stop, __ATOMIC_RELAXED)) {
		unsigned int r = rnd(w) % 100;

		w->ops++;
		chk_receive(w, w->id);
		if (r < 35) {
			if (w->nheld < opt.held) {
				void *addr = chk_ops->alloc(chk_pool);

				if (addr)
					chk_take(w, addr);
				else
					w->nulls++;
			}
		} else if (r < 65) {
			if (w->nheld)
				chk_free_one(w);
		} else if (r < 77) {
			if (w->nheld && opt.threads > 1)
				chk_handoff(w);
		} else if (r < 88) {
			if (w->nheld < opt.held)
				chk_alloc_bulk(w);
		} else {
			if (w->nheld)
				chk_free_bulk(w);
		}
		/* a reader of the counters while the pool is busy */
		if (w->id == 0 && !(w->ops % 4096) && opt.shape == SHAPE_A) {
			labyrinth_pool_read_stats(pool, &st);
			if (st.owned > st.max_frames || st.nr_frames > st.max_frames)
				chk_fail(w, "stats: %llu owned, %llu frames, cap %llu\n",
					 st.owned, st.nr_frames, st.max_frames);
		} else if (w->id == 0 && !(w->ops % 4096)) {
			mag_pool_read_stats(chk_pool, &ms);
			if (ms.owned > ms.nr_frames)
				chk_fail(w, "stats: %llu owned of %llu frames\n", ms.owned,
					 ms.nr_frames);
		}
	}
	while (w->nheld)
		chk_free_one(w);
	/* the NMI stand-in stops here: the main thread may use the pool next */
	w->in_round = false;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
}

static u64 nmi_rnd(struct worker *w)
{
	w->nmi_rng ^= w->nmi_rng >> 12;
	w->nmi_rng ^= w->nmi_rng << 25;
	w->nmi_rng ^= w->nmi_rng >> 27;
	return w->nmi_rng * 0x2545f4914f6cdd1dULL;
}

/*
 * The NMI stand-in, on the thread (CPU id) it interrupted, at any
 * instruction of a grant or free there: grant up to NMI_MAX frames, singly
 * or in bulk, take them in the owner table as owner "threads + id", check
 * the fill, stamp, check the stamps, free.  It touches none of the
 * interrupted thread's harness state but its own counters.
 */
static void chk_nmi(struct worker *w)
{
	unsigned int owner = opt.threads + w->id, n = 0, i, want;
	void *got[NMI_MAX];
	u64 r = nmi_rnd(w), tags[NMI_MAX];

	w->nmi_calls++;
	/* landed between the interrupted grant's or free's lock and unlock */
	if (opt.shape != SHAPE_A && mag_pool_test_held(chk_pool, w->id))
		w->nmi_inside++;
	want = 1 + r % NMI_MAX;
	if (r & 16) {
		n = chk_ops->alloc_bulk(chk_pool, got, want);
	} else {
		while (n < want && (got[n] = chk_ops->alloc(chk_pool)))
			n++;
	}
	if (n < want)
		w->nmi_nulls++;
	w->nmi_grants += n;
	for (i = 0; i < n; i++) {
		/* on a failure leave everything as it is */
		if (!chk_own(w, got[i], 0, owner + 1) ||
		    !chk_filled(w, got[i], chk_fill(), "at grant"))
			return;
		tags[i] = ((u64)(owner + 1) << 32) | ++w->nmi_seq;
		chk_stamp(got[i], tags[i]);
	}
	for (i = 0; i < n; i++)
		if (!chk_canary(w, got[i], tags[i], owner) || !chk_own(w, got[i], owner + 1, 0))
			return;
	if (r & 32) {
		if (chk_ops->free_bulk(chk_pool, got, n))
			chk_fail(w, "NMI: free_bulk of %u owned frames refused\n", n);
	} else {
		for (i = 0; i < n; i++)
			if (chk_ops->free(chk_pool, got[i]))
				chk_fail(w, "NMI: free of owned frame %p refused\n", got[i]);
	}
	w->nmi_frees += n;
}

static void chk_nmi_handler(int sig)
{
	struct worker *w = chk_self;
	int saved = errno;

	if (w && w->in_round && __atomic_load_n(&chk_nmi_on, __ATOMIC_RELAXED))
		chk_nmi(w);
	errno = saved;
}

/* The main thread's part of a round: wait @ms, or send NMIs for that long. */
static void chk_round_wait(unsigned int ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = ms % 1000 * 1000000L };
	struct timespec gap = { .tv_nsec = 20000 };
	double end = now_ns() + ms * 1e6;
	u64 x = opt.seed | 1;

	if (!opt.nmi) {
		while (nanosleep(&ts, &ts) && errno == EINTR)
			;
		return;
	}
	__atomic_store_n(&chk_nmi_on, 1, __ATOMIC_RELAXED);
	while (now_ns() < end) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		pthread_kill(workers[x % opt.threads].thread, SIGUSR1);
		nanosleep(&gap, NULL);
	}
	__atomic_store_n(&chk_nmi_on, 0, __ATOMIC_RELAXED);
}

struct chk_totals tot;

void chk_round_reset(void)
{
	unsigned int i;

	for (i = 0; i < opt.threads; i++) {
		struct worker *w = &workers[i];

		w->nheld = 0;
		w->grants = 0;
		w->frees = 0;
		w->nulls = 0;
		w->short_bulk = 0;
		w->handoffs = 0;
		w->received = 0;
		w->nmi_calls = 0;
		w->nmi_grants = 0;
		w->nmi_frees = 0;
		w->nmi_nulls = 0;
		w->nmi_inside = 0;
		w->nmi_rng = w->rng ^ 0x5bd1e995;
	}
}

/* Run one round of phase B for @ms; mailboxes emptied; the workers' counts. */
void chk_round_run(unsigned int ms, struct chk_sums *sum)
{
	struct worker *m = &workers[0];	/* main borrows CPU 0 while workers wait */
	unsigned int i;

	__atomic_store_n(&chk_stop, 0, __ATOMIC_RELAXED);
	ctl.job = JOB_CHECK;
	ctl.active = opt.threads;
	pthread_barrier_wait(&ctl.start);
	chk_round_wait(ms);
	__atomic_store_n(&chk_stop, 1, __ATOMIC_RELAXED);
	pthread_barrier_wait(&ctl.done);

	/* frames still in the mailboxes: freed by main, on their receivers' behalf */
	for (i = 0; i < opt.threads; i++)
		chk_receive(m, i);
	memset(sum, 0, sizeof(*sum));
	for (i = 0; i < opt.threads; i++) {
		struct worker *w = &workers[i];

		sum->grants += w->grants;
		sum->frees += w->frees;
		sum->nulls += w->nulls;
		sum->shorts += w->short_bulk;
		sum->handoffs += w->handoffs;
		sum->received += w->received;
		sum->nmis += w->nmi_calls;
		sum->nmi_grants += w->nmi_grants;
		sum->nmi_frees += w->nmi_frees;
		sum->nmi_nulls += w->nmi_nulls;
		sum->nmi_inside += w->nmi_inside;
	}
}

/*
 * Phase B, one round: a pool that starts at half of --frames and grows to
 * it while every CPU id grants, holds, frees, hands frames over and uses
 * the bulk calls; then every count must add up and nothing may be left.
 */
static void check_round(bool poison, unsigned int ms)
{
	struct labyrinth_pool_config cfg = {
		.name = "check",
		.nr_frames = opt.frames / 2 ? opt.frames / 2 : 1,
		.max_frames = opt.frames,
		.flags = poison ? LABYRINTH_POOL_POISON : 0,
	};
	struct labyrinth_stats st;
	struct chk_sums sum;
	unsigned int i;

	lab_shim_registry_start(opt.frames);
	memset(chk_owner, 0, opt.frames * sizeof(*chk_owner));
	memset(mbox, 0, (size_t)opt.threads * opt.threads * sizeof(*mbox));
	pool = labyrinth_pool_create_config(&cfg);
	if (IS_ERR(pool))
		die("labyrinth_pool_create_config(%u, %u): %ld\n", cfg.nr_frames,
		    cfg.max_frames, PTR_ERR(pool));
	chk_pool = pool;
	chk_ops = &lab_ops;
	chk_poisoned = poison;
	lab_shim_warnings = 0;
	chk_round_reset();
	chk_round_run(ms, &sum);
	lab_shim_flush_workqueue();	/* a growth step may still be running */
	for (i = 0; i < opt.frames; i++)
		EXPECT(!chk_owner[i], "frame slot %u still owned by cpu %u at the end\n", i,
		       chk_owner[i] - 1);
	labyrinth_pool_read_stats(pool, &st);
	EXPECT(st.owned == 0, "%llu frames owned at the end\n", st.owned);
	EXPECT(chk_count(st.grants, sum.grants + sum.nmi_grants, sum.nmi_grants) &&
	       chk_count(st.frees, sum.frees + sum.nmi_frees, sum.nmi_frees) &&
	       chk_count(st.failures, sum.nulls + sum.shorts + sum.nmi_nulls, sum.nmi_nulls),
	       "counters: grants %llu/%llu frees %llu/%llu failures %llu/%llu\n", st.grants,
	       sum.grants + sum.nmi_grants, st.frees, sum.frees + sum.nmi_frees, st.failures,
	       sum.nulls + sum.shorts + sum.nmi_nulls);
	EXPECT(!st.bad_addr && !st.foreign && !st.double_free && !st.busy_destroy &&
	       !st.poison_faults,
	       "refusals: bad %llu foreign %llu double %llu busy %llu poison %llu\n",
	       st.bad_addr, st.foreign, st.double_free, st.busy_destroy, st.poison_faults);
	EXPECT(st.steals <= st.grants && st.remote_frees <= st.frees,
	       "steals %llu > grants or remote frees %llu > frees\n", st.steals,
	       st.remote_frees);
	EXPECT(st.nr_frames <= st.max_frames && st.max_frames == opt.frames &&
	       st.nr_frames == (u64)lab_shim_pages_live &&
	       st.refills == st.nr_frames - cfg.nr_frames,
	       "growth: %llu frames (cap %llu), %ld pages mapped, %llu refilled from %u\n",
	       st.nr_frames, st.max_frames, lab_shim_pages_live, st.refills, cfg.nr_frames);
	if (opt.verbose) {
		printf("check: round %u%s: %llu grants, %llu steals, %llu NULL, %llu short bulk,",
		       tot.rounds + 1, poison ? " (poisoned)" : "", st.grants, st.steals, sum.nulls,
		       sum.shorts);
		printf(" %llu frames (%llu added, %llu failed steps)\n", st.nr_frames,
		       st.refills, st.refill_failures);
	}
	EXPECT(sum.handoffs == sum.received, "%llu frames handed over, %llu received\n",
	       sum.handoffs, sum.received);
	EXPECT(!lab_shim_warnings, "%ld warnings printed\n", lab_shim_warnings);
	EXPECT(labyrinth_pool_destroy(pool) == 0, "destroy of an idle pool\n");
	EXPECT(!lab_shim_pages_live && !lab_shim_allocs_live,
	       "destroy left %ld pages, %ld blocks\n", lab_shim_pages_live,
	       lab_shim_allocs_live);
	lab_shim_registry_stop();
	pool = NULL;

	tot.rounds++;
	tot.poisoned += poison;
	tot.grants += st.grants;
	tot.steals += st.steals;
	tot.frees += st.frees;
	tot.remote += st.remote_frees;
	tot.handoffs += sum.handoffs;
	tot.nulls += sum.nulls;
	tot.shorts += sum.shorts;
	tot.refills += st.refills;
	tot.nmis += sum.nmis;
	tot.nmi_grants += sum.nmi_grants;
}

int run_checks(void)
{
	unsigned int i, rounds;

	/*
	 * Fewer frames than the threads may hold: the pool runs dry often, so
	 * stealing, growth, NULL grants and short bulk grants race with
	 * everything else.
	 */
	if (!opt.frames)
		opt.frames = opt.threads * opt.held * 3 / 4;
	if (opt.frames < 4)
		die("%s: at least 4 frames\n", __func__);
	for (i = 0; i < opt.threads; i++) {
		workers[i].rng = opt.seed * 0x9e3779b97f4a7c15ULL + i + 1;
		workers[i].held = calloc(opt.held, sizeof(*workers[i].held));
		workers[i].scratch = calloc(opt.held > BULK ? opt.held : BULK,
					    sizeof(*workers[i].scratch));
		if (!workers[i].held || !workers[i].scratch)
			die("out of memory\n");
	}
	chk_owner = calloc(opt.frames, sizeof(*chk_owner));
	mbox = calloc((size_t)opt.threads * opt.threads, sizeof(*mbox));
	if (!chk_owner || !mbox)
		die("out of memory\n");

	if (opt.nmi) {
		struct sigaction sa = { .sa_handler = chk_nmi_handler, .sa_flags = SA_RESTART };

		sigemptyset(&sa.sa_mask);
		if (sigaction(SIGUSR1, &sa, NULL))
			die("sigaction: %s\n", strerror(errno));
	}

	lab_shim_quiet = true;	/* the refusals of phase A are deliberate */
	if (opt.shape == SHAPE_A)
		check_api();
	else
		check_api_mag();
	lab_shim_quiet = false;	/* from here on any warning is a finding */

	/* one-second rounds, alternately poisoned unless told */
	rounds = opt.seconds ? opt.seconds : 1;
	for (i = 0; i < rounds && !chk_errors; i++) {
		if (opt.shape == SHAPE_A)
			check_round(opt.poison < 0 ? i % 2 : opt.poison, opt.seconds ? 1000 : 200);
		else
			check_round_mag(opt.seconds ? 1000 : 200);
	}
	for (i = 0; i < opt.threads; i++)
		tot.ops += workers[i].ops;
	if (opt.shape != SHAPE_A) {
		printf("check: %s, %u threads (%u online at create), %u frames, %u held max,",
		       shape_name[opt.shape], opt.threads, opt.online, opt.frames, opt.held);
		printf(" %u rounds: %llu ops, %llu grants (%llu steals),", tot.rounds, tot.ops,
		       tot.grants, tot.steals);
		printf(" %llu frees (%llu handed over),", tot.frees, tot.handoffs);
		printf(" %llu NULL, %llu short bulk, %llu diverted, %llu depot exchanges,",
		       tot.nulls, tot.shorts, tot.diverted, tot.depot);
		printf(" %llu NMIs (%llu grants, %llu inside a held guard),", tot.nmis,
		       tot.nmi_grants, tot.nmi_inside);
		printf(" %llu frames stranded at round ends\n", tot.stranded);
		goto done;
	}

	printf("check: %u threads (%u online at create), up to %u frames (growth from %u),",
	       opt.threads, opt.online, opt.frames, opt.frames / 2);
	printf(" %u held max, %u rounds (%u poisoned): %llu ops,", opt.held, tot.rounds,
	       tot.poisoned, tot.ops);
	printf(" %llu grants (%llu steals), %llu frees (%llu remote, %llu handed over),",
	       tot.grants, tot.steals, tot.frees, tot.remote, tot.handoffs);
	printf(" %llu NULL, %llu short bulk, %llu frames added by growth\n", tot.nulls,
	       tot.shorts, tot.refills);
	if (opt.nmi)
		printf("check: %llu NMIs (%llu grants)\n", tot.nmis, tot.nmi_grants);
done:
	for (i = 0; i < opt.threads; i++) {
		free(workers[i].held);
		free(workers[i].scratch);
	}
	free(chk_owner);
	free(mbox);
	if (chk_errors) {
		printf("%s: FAILED, %ld errors (seed %lu)\n", "check", chk_errors, opt.seed);
		return 1;
	}
	printf("%s: passed (seed %lu)\n", "check", opt.seed);
	return 0;
}
