// SPDX-License-Identifier: GPL-2.0
/*
 * The explorer's actors: the pool's calls wrapped so that the owner table
 * follows every grant and free and each return is checked, and the actor
 * bodies the scenarios are made of.
 */
#include "explore.h"

/* ---- the actors' calls ---- */

/* One grant; the frame is held.  Return: the frame or NULL. */
void *grant(struct actor *a)
{
	void *p;

	grant_begin(a, "labyrinth_pool_alloc");
	p = labyrinth_pool_alloc(pool);
	grant_end(a, &p, !!p, 1);
	return p;
}

static unsigned int grant_bulk(struct actor *a, unsigned int nr)
{
	void *got[MAX_HELD];
	unsigned int n;

	grant_begin(a, "labyrinth_pool_alloc_bulk");
	n = labyrinth_pool_alloc_bulk(pool, got, nr);
	grant_end(a, got, n, nr);
	return n;
}

void *drop_held(struct actor *a, unsigned int i)
{
	void *p = a->held[i];

	a->held[i] = a->held[--a->nheld];
	return p;
}

/* Free @a's held frame number @i, which must be accepted. */
void give_back(struct actor *a, unsigned int i)
{
	void *p = drop_held(a, i);
	struct frame *f = frame_of(p);
	int ret;

	f->owner = NOBODY;
	f->freeing++;
	a->call = "labyrinth_pool_free";
	ret = labyrinth_pool_free(pool, p);
	a->call = NULL;
	f->freeing--;
	if (ret)
		violation("free of frame %ld by its owner %s refused (%d)", f->index, a->name, ret);
}

/* A free of @p that @a does not own: it must be refused with @want. */
static void stray_free(struct actor *a, void *p, int want)
{
	long slot = lab_shim_page_slot(p);
	struct frame none = { .owner = NOBODY }, *f = slot >= 0 ? &frames[slot] : &none;
	int owner = f->owner, ret;

	a->call = "labyrinth_pool_free";
	ret = labyrinth_pool_free(pool, p);
	a->call = NULL;
	if (ret == want)
		return;
	if (!ret && (owner != NOBODY || f->owner != NOBODY)) {
		/* one bit cannot tell a stray free from the new owner's: documented */
		f->tainted = true;
		return;
	}
	violation("stray free of %p (frame %ld) by %s returned %d, not %d", p, f->index, a->name,
		  ret, want);
}

/*
 * Bulk free of @a's held frames listed in @list (indices into held[],
 * NR entries, repeats allowed): the first listing of each frame must be
 * freed, and the call return -EALREADY when anything is listed twice.
 */
static void give_back_bulk(struct actor *a, const unsigned int *list, unsigned int nr)
{
	void *addrs[MAX_HELD], *seen[MAX_HELD];
	unsigned int i, j, nseen = 0;
	bool dup = false;
	int ret;

	for (i = 0; i < nr; i++) {
		addrs[i] = a->held[list[i]];
		for (j = 0; j < nseen && seen[j] != addrs[i]; j++)
			;
		if (j < nseen) {
			dup = true;
			continue;
		}
		seen[nseen++] = addrs[i];
		frame_of(addrs[i])->owner = NOBODY;
		frame_of(addrs[i])->freeing++;
	}
	a->call = "labyrinth_pool_free_bulk";
	ret = labyrinth_pool_free_bulk(pool, addrs, nr);
	a->call = NULL;
	for (j = 0; j < nseen; j++)
		frame_of(seen[j])->freeing--;
	/* forget the freed frames (highest held index first) */
	for (i = a->nheld; i-- > 0;)
		for (j = 0; j < nseen; j++)
			if (a->held[i] == seen[j])
				drop_held(a, i);
	if (ret != (dup ? -EALREADY : 0))
		violation("bulk free by %s returned %d, expected %d", a->name, ret,
			  dup ? -EALREADY : 0);
}

static void give_back_all(struct actor *a)
{
	while (a->nheld)
		give_back(a, a->nheld - 1);
}

/* ---- the actors ---- */

void one_pair(struct actor *a)
{
	if (grant(a))
		give_back(a, a->nheld - 1);
}

void pair(struct actor *a)
{
	int i;

	for (i = 0; i < (a->arg ?: 1); i++)
		one_pair(a);
}

/* Pairs with a wait for growth after each, as time passing would give. */
void pair_wait(struct actor *a)
{
	int i;

	for (i = 0; i < a->arg; i++) {
		one_pair(a);
		wait_growth();
	}
}

void grant_hold(struct actor *a)
{
	int i;

	for (i = 0; i < (a->arg ?: 1); i++)
		grant(a);
}

/* The setup's last frame becomes @a's. */
static void adopt_one(struct actor *a)
{
	void *p = holder_held[--holder_nheld];

	frame_of(p)->owner = a - act;
	a->held[a->nheld++] = p;
}

/* Frees the frame the setup took last, as its owner. */
void free_held_by_setup(struct actor *a)
{
	adopt_one(a);
	give_back(a, a->nheld - 1);
}

void free_then_grant(struct actor *a)
{
	free_held_by_setup(a);
	grant(a);
}

void bulk_pair(struct actor *a)
{
	unsigned int list[MAX_HELD], i, n = grant_bulk(a, a->arg);

	for (i = 0; i < n; i++)
		list[i] = i;
	give_back_bulk(a, list, n);
}

/* Adopt the holder's frames: they become this actor's to free. */
static void adopt_all(struct actor *a)
{
	while (holder_nheld)
		adopt_one(a);
}

/* Frees {A, B, A} (or {A, A, B} with arg 1): the repeat must be refused. */
void bulk_free_repeat(struct actor *a)
{
	static const unsigned int spread[] = { 0, 1, 0 }, together[] = { 0, 0, 1 };

	adopt_all(a);
	give_back_bulk(a, a->arg ? together : spread, 3);
}

void misuse(struct actor *a)
{
	void *p = grant(a), *never;
	int stack_var;

	never = (void *)pool->frame_addr[pool->regions[0].first + 1];
	if (p) {
		give_back(a, a->nheld - 1);
		stray_free(a, p, -EALREADY);
	}
	stray_free(a, never, -EALREADY);
	stray_free(a, &stack_var, -EINVAL);
	stray_free(a, NULL, -EINVAL);
}

static bool second_segment(struct actor *a)
{
	/* a predicate runs inside the scheduler: no switch points here */
	return __atomic_load_n(&pool->nr_segments, __ATOMIC_RELAXED) >= 2;
}

/* Waits for growth's segment to be findable, then frees its first frame. */
void stray_free_new_frame(struct actor *a)
{
	wait_until(second_segment, "segment published");
	stray_free(a, (void *)pool->segments[1].chunks[0].start, -EALREADY);
}

/* Take frames until NULL, waiting for growth after each NULL, @arg times. */
void grant_through_growth(struct actor *a)
{
	int i;

	for (i = 0; i < a->arg; i++)
		if (!grant(a))
			wait_growth();
}

/* A grant that finds every frame owned (and kicks growth), then the last free. */
void grant_then_free_held(struct actor *a)
{
	if (grant(a))
		give_back(a, a->nheld - 1);
	free_held_by_setup(a);
}

static bool pool_unowned(struct actor *a)
{
	unsigned int w;

	for (w = 0; w < BITS_TO_LONGS(pool->nr_bits); w++)
		if (pool->bitmap[w])
			return false;
	return true;
}

/* Destroys once @until holds: the destroy must succeed. */
static void destroy_once(struct actor *a, bool (*until)(struct actor *a), const char *what)
{
	int ret;

	wait_until(until, what);
	a->call = "labyrinth_pool_destroy";
	ret = labyrinth_pool_destroy(pool);
	a->call = NULL;
	if (ret)
		violation("destroy once nothing is %s returned %d", what, ret);
	else
		pool_gone = true;
}

void destroy_when_unowned(struct actor *a)
{
	destroy_once(a, pool_unowned, "owned");
}

/* ---- the background wipe (scenarios with zeroes) ---- */

/* The setup's frame becomes @a's; it writes it and frees it. */
void write_and_free_held(struct actor *a)
{
	adopt_one(a);
	memset(a->held[a->nheld - 1], 0xc0, PAGE_SIZE);
	give_back(a, a->nheld - 1);
}

static bool clients_hold_nothing(struct actor *a)
{
	unsigned int s;

	for (s = 0; s < NR_SLOTS; s++)
		if (frames[s].owner != NOBODY || frames[s].freeing)
			return false;
	return true;
}

/* Destroys once no client holds a frame, whatever the wipe holds. */
void destroy_when_clients_done(struct actor *a)
{
	destroy_once(a, clients_hold_nothing, "held by a client");
}

