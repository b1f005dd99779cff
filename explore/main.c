// SPDX-License-Identifier: GPL-2.0
/*
 * The explorer's driver: one run of a scenario from a fresh pool, the
 * depth-first walk from one schedule to the next, and the command line.
 * Every run starts from scratch so that a schedule is fully given by its
 * choices, and a violation can be replayed from them alone.
 */
#include <signal.h>
#include <time.h>
#include <unistd.h>
#include <sanitizer/common_interface_defs.h>	/* built with UBSan, always */

#include "explore.h"

#define JIFFIES_START	(1000UL)

const struct scenario *sc;
static long allocs_before, pages_before;

/* A sanitizer report or a trap: name the scenario and the schedule. */
static void crashed(const char *why)
{
	printf("VIOLATION: %s: %s\n", sc ? sc->name : "?", why);
	if (sc)
		print_schedule(stdout);
	fflush(stdout);
}

static void on_signal(int sig)
{
	crashed(sig == SIGFPE ? "SIGFPE (division by zero?)" : strsignal(sig));
	_exit(1);
}

static void on_sanitizer_death(void)
{
	crashed("UBSan report (above)");
}

/* Stand-ins for labyrinth_debugfs.c, which is not built here. */
void labyrinth_debugfs_add(struct labyrinth_pool *p)
{
}

void labyrinth_debugfs_remove(struct labyrinth_pool *p)
{
}

/* ---- one run ---- */

static void teardown(void)
{
	int i, ret;

	if (pool_gone)
		goto leaks;
	if (run_failed) {
		/* the actors stopped anywhere: forget the work, free what can be */
		while (wq_n)
			wq_fifo[--wq_n]->pending = false;
		wq_running = NULL;
		labyrinth_pool_abandon(pool);
		return;
	}
	lab_shim_set_cpu(0);
	for (i = 0; i < nr_act; i++)
		while (act[i].nheld)
			if (labyrinth_pool_free(pool, drop_held(&act[i], 0)))
				violation("at the end, a held frame was refused");
	while (holder_nheld)
		if (labyrinth_pool_free(pool, holder_held[--holder_nheld]))
			violation("at the end, a frame the setup held was refused");
	ret = labyrinth_pool_destroy(pool);
	if (ret)
		violation("at the end, destroy returned %d", ret);
leaks:
	if (lab_shim_pages_live != pages_before || lab_shim_allocs_live != allocs_before)
		violation("the end left %ld pages and %ld blocks behind",
			  lab_shim_pages_live - pages_before, lab_shim_allocs_live - allocs_before);
}

static void run_once(void)
{
	int alts[MAX_ACTORS], i, first;
	unsigned int n = 0;

	memset(frames, 0, sizeof(frames));
	for (i = 0; i < NR_SLOTS; i++) {
		frames[i].owner = NOBODY;
		frames[i].index = -1;
	}
	holder_nheld = 0;
	nr_act = 0;
	nmi_idx = -1;
	nmi_fired = false;
	in_nmi = false;
	run_failed = false;
	pool_gone = false;
	wq_n = 0;
	wq_running = NULL;
	work_runs = 0;
	pressure = false;
	lab_shim_page_budget = -1;
	lab_explore_jiffies = JIFFIES_START;
	depth = 0;
	preempts = 0;
	steps = 0;

	allocs_before = lab_shim_allocs_live;
	pages_before = lab_shim_pages_live;
	lab_shim_registry_start(NR_SLOTS);
	nr_cpu_ids = sc->cpus;
	lab_shim_nr_online = sc->online;
	lab_shim_init_on_alloc = sc->zeroes;
	lab_shim_set_cpu(0);
	pool = labyrinth_pool_create_config(&sc->cfg);
	if (IS_ERR(pool))
		die("%s: create failed: %ld\n", sc->name, PTR_ERR(pool));
	lab_shim_nr_online = sc->cpus;	/* the rest come online now */
	pool_mem[0] = pool;
	pool_mem[1] = pool->pcpu;
	pool_mem[2] = pool->regions;
	pool_mem[3] = pool->bitmap;
	pool_mem[4] = pool->frame_addr;
	pool_mem[5] = pool->frame_table;
	if (sc->setup)
		sc->setup();

	for (i = 0; sc->actors[i].fn; i++)
		add_actor(&sc->actors[i], false, false);
	if (sc->kworker)
		add_actor(NULL, false, true);
	if (sc->nmi.fn)
		add_actor(&sc->nmi, true, false);

	exploring = true;
	cur = -1;
	for (i = 0; i < nr_act; i++)
		if (i != nmi_idx)
			alts[n++] = i;
	first = decide(alts, n, "start");
	act[first].state = RUNNABLE;
	cur = first;
	lab_shim_set_cpu(act[first].cpu);
	swapcontext(&main_ctx, &act[first].ctx);
	exploring = false;
	lab_shim_set_cpu(0);
	for (i = 0; i < nr_act && !run_failed; i++)
		if (act[i].state != DONE && !act[i].nmi)
			violation("%s never finished", act[i].name);
	if (!run_failed)
		check_quiescent();
	teardown();
	lab_shim_registry_stop();
}

/* ---- the walk over schedules ---- */

/* Next schedule: the deepest decision with an alternative left. */
static bool next_schedule(void)
{
	while (depth > 0) {
		struct decision *d = &trail[depth - 1];

		if (d->chosen + 1 < d->n) {
			d->chosen++;
			prefix_len = depth;
			return true;
		}
		depth--;
	}
	return false;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int explore(const struct scenario *s, unsigned long limit)
{
	double t = now();
	unsigned int max_depth = 0;

	sc = s;
	schedule_nr = 0;
	prefix_len = 0;
	do {
		schedule_nr++;
		run_once();
		if (depth > max_depth)
			max_depth = depth;
		if (run_failed)
			break;
		if (limit && schedule_nr >= limit) {
			printf("limit: %s stopped after %lu schedules\n", s->name, limit);
			break;
		}
	} while (next_schedule());
	printf("scenario %-28s %8lu schedules  bound %u  nmi %-5s  %3u decisions max",
	       s->name, schedule_nr, s->bound, s->nmi.fn ? s->nmi.name : "none", max_depth);
	printf("  %d violations  %.1f s\n", run_failed, now() - t);
	fflush(stdout);
	return run_failed;
}

/* ---- the command line ---- */

static int list_scenarios(void)
{
	unsigned int i;

	for (i = 0; i < nr_scenarios; i++)
		printf("%-28s bound %u: %s\n", scenarios[i].name, scenarios[i].bound,
		       scenarios[i].about);
	return 0;
}

static int bad_arguments(void)
{
	fprintf(stderr, "explore [--scenario NAME] [--limit N] [--extra-bound K] [--list]\n");
	return 2;
}

int main(int argc, char **argv)
{
	unsigned long limit = 0;
	const char *only = NULL;
	unsigned int i, failed = 0, ran = 0;
	int extra_bound = 0;

	for (i = 1; i < (unsigned int)argc; i++) {
		bool more = i + 1 < (unsigned int)argc;

		if (!strcmp(argv[i], "--list"))
			return list_scenarios();
		if (more && !strcmp(argv[i], "--scenario"))
			only = argv[++i];
		else if (more && !strcmp(argv[i], "--limit"))
			limit = strtoul(argv[++i], NULL, 0);
		else if (more && !strcmp(argv[i], "--extra-bound"))
			extra_bound = atoi(argv[++i]);
		else
			return bad_arguments();
	}
	signal(SIGFPE, on_signal);
	signal(SIGSEGV, on_signal);
	signal(SIGBUS, on_signal);
	signal(SIGILL, on_signal);
	__sanitizer_set_death_callback(on_sanitizer_death);
	lab_shim_quiet = true;
	for (i = 0; i < nr_scenarios; i++) {
		struct scenario s = scenarios[i];

		if (only && strcmp(only, s.name))
			continue;
		s.bound += extra_bound;
		failed += explore(&s, limit);
		ran++;
	}
	if (!ran)
		die("no scenario named %s\n", only);
	printf("total: %u scenarios, %u with violations\n", ran, failed);
	return failed ? 1 : 0;
}
