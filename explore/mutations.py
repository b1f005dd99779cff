#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Bugs the interleaving explorer must catch, each put back into a copy of
labyrinth_pool.c on its own.

  mutations.py --list                 names, one a line, with what they undo
  mutations.py NAME POOL_SRC OUT      write POOL_SRC with mutation NAME to OUT

Each mutation names the text it replaces; if the pool no longer contains
that text exactly once, the mutation fails loudly instead of testing
nothing.  Five are the findings of issue #10, two the fixes of its points 6
and 7, one a control that only a scenario spanning two bitmap words can
catch, four undo the ordering and lifetime rules of issue #11's
background wipe, and one the DMA mapping order of issue #13.
"""
import sys

MUTATIONS = {
    # 1: the step size divided by the segments left before the checks.
    "div-before-seg-check": (
        "finding 1: growth divides by the segments left before checking them",
        [("""	room = pool->max_frames - pool->backed_frames;
	if (!room)
		return 0;
	/* steps are sized to reach the cap by the last segment */
	if (WARN_ON_ONCE(seg >= LABYRINTH_MAX_SEGMENTS))
		return -ENOSPC;
	step = max(DIV_ROUND_UP(pool->nr_frames, 4),
		   DIV_ROUND_UP(room, LABYRINTH_MAX_SEGMENTS - seg));
""", """	room = pool->max_frames - pool->backed_frames;
	step = max(DIV_ROUND_UP(pool->nr_frames, 4),
		   DIV_ROUND_UP(room, LABYRINTH_MAX_SEGMENTS - seg));
	if (!room)
		return 0;
	if (seg == LABYRINTH_MAX_SEGMENTS)
		return -ENOSPC;
""")]),
    # 2: a step that reserved part of its frames publishes them anyway.
    "partial-step-published": (
        "finding 2: a growth step that got part of its pages still spends a segment",
        [("""	if (!err)
		err = labyrinth_grow_reserve(pool, step, grown, sg);
""", """	if (!err && labyrinth_grow_reserve(pool, step, grown, sg)) {
		unsigned int r;

		for (step = 0, r = 0; r < pool->nr_regions; r++)
			step += grown[r];
		err = step ? 0 : -ENOMEM;
	}
""")]),
    # 3: repeats caught only inside the current word's batch.
    "bulk-repeat-batch-only": (
        "finding 3: bulk free catches an address listed twice only within one word's batch",
        [("""			     !test_bit(index, pool->bitmap) ||
			     (unlikely(rereleased) &&
			      labyrinth_listed(addrs, batch, addrs[i]))))""",
          """			     !test_bit(index, pool->bitmap)))""")]),
    # 4: new frames' bits set until growth clears them, after publishing.
    "growth-blind-clear": (
        "finding 4: growth publishes frames with their bits set, then clears them blindly",
        [("""	labyrinth_segment_seal(pool, &pool->segments[seg]);
	WRITE_ONCE(pool->nr_segments, seg + 1);
""", """	for (r = 0; r < pool->segments[seg].nr; r++) {
		const struct labyrinth_chunk *c = &pool->segments[seg].chunks[r];
		unsigned int i;

		for (i = 0; i < c->nr; i++)
			set_bit(c->first + i, pool->bitmap);
	}
	labyrinth_segment_seal(pool, &pool->segments[seg]);
	WRITE_ONCE(pool->nr_segments, seg + 1);
"""), ("""	WRITE_ONCE(pool->backed_frames, pool->backed_frames + added);
	atomic_long_add(added, &pool->refills);
""", """	WRITE_ONCE(pool->backed_frames, pool->backed_frames + added);
	for (r = 0; r < pool->segments[seg].nr; r++) {
		const struct labyrinth_chunk *c = &pool->segments[seg].chunks[r];
		unsigned int i;

		for (i = 0; i < c->nr; i++)
			clear_bit_unlock(c->first + i, pool->bitmap);
	}
	atomic_long_add(added, &pool->refills);
""")]),
    # 5: every CPU's home is its own region, and every steal kicks growth.
    "empty-home-kicks": (
        "finding 5: a CPU with an empty home region steals and kicks growth on every grant",
        [("""		pc->home = pool->regions[cpu].nr ? cpu : labyrinth_adopted_home(pool, cpu);""",
          """		pc->home = cpu;"""),
         ("""	bool kicked = READ_ONCE(rg->backed) < rg->nr;""",
          """	bool kicked = true;""")]),
    # 6: destroy frees the pool as soon as no frame is owned.
    "destroy-no-grace-period": (
        "point 6: destroy does not wait for the last free to finish",
        [("""	synchronize_rcu();
	labyrinth_stop_workers(pool);
""", """	labyrinth_stop_workers(pool);
""")]),
    # not from the issue: a search that never leaves its first bitmap word.
    "search-first-word-only": (
        "control: a grant that searches only the first word of a region",
        [("""	while (!clear) {
		if (++w * BITS_PER_LONG >= end)
			return end;""", """	while (!clear) {
		if (++w)
			return end;""")]),
    # 7: the back-off compared with time_before() against a stale stamp.
    "stale-backoff-time-before": (
        "point 7: a stale back-off stamp holds growth back for half the jiffies range",
        [("""	    jiffies - READ_ONCE(pool->grow_failed_at) < LABYRINTH_GROW_BACKOFF)""",
          """	    time_before(jiffies, READ_ONCE(pool->grow_failed_at) + LABYRINTH_GROW_BACKOFF))""")]),
    # the background wipe (issue #11): each caught by a wipe-* scenario
    "wipe-no-last-look": (
        "wipe: a wipe that finds nothing disarms without looking again",
        [("""	WRITE_ONCE(pool->wipe_armed, false);
	smp_mb();	/* the disarm, then the last look: see labyrinth_wipe_soon() */
	if (!labyrinth_wipe_pass(pool) || xchg(&pool->wipe_armed, true))
		return;
""", """	WRITE_ONCE(pool->wipe_armed, false);
	return;
""")]),
    "wipe-release-before-clean": (
        "wipe: the frame is released before it is marked clean",
        [("""	set_bit(index, pool->clean);
	/* fully ordered: the zeroes and the clean bit before the frame is free */
	if (unlikely(!test_and_clear_bit(index, pool->bitmap))) {""",
          """	/* fully ordered: the zeroes and the clean bit before the frame is free */
	if (unlikely(!test_and_clear_bit(index, pool->bitmap))) {"""),
         ("""	this_cpu_inc(pool->pcpu->wiped);
	return true;""", """	set_bit(index, pool->clean);
	this_cpu_inc(pool->pcpu->wiped);
	return true;""")]),
    "grant-keeps-clean-bit": (
        "wipe: a grant of a wiped frame leaves its clean bit set",
        [("""		clear_bit(index, pool->clean);
		this_cpu_inc(pool->pcpu->clean_grants);""",
          """		this_cpu_inc(pool->pcpu->clean_grants);""")]),
    "wipe-outlives-destroy": (
        "wipe: destroy does not stop the background wipe",
        [("""	irq_work_sync(&pool->wipe_kick);
	cancel_delayed_work_sync(&pool->wipe_work);
""", "")]),
    # issue #13: a growth step's frames mapped only after grants can see them.
    "dma-map-after-publish": (
        "dma: a growth step maps its frames after publishing them",
        [("""	if (!err)
		err = labyrinth_dma_map_segment(pool, sg);
	if (err) {
		labyrinth_forget_frames(pool, sg);
		labyrinth_release_segment(sg);
	} else {
		labyrinth_grow_publish(pool, seg, grown, step);
	}""", """	if (err) {
		labyrinth_forget_frames(pool, sg);
		labyrinth_release_segment(sg);
	} else {
		labyrinth_grow_publish(pool, seg, grown, step);
		labyrinth_dma_map_segment(pool, sg);
	}""")]),
}


def main():
    if sys.argv[1:] == ["--list"]:
        for name, (about, _) in MUTATIONS.items():
            print(f"{name}\t{about}")
        return 0
    if len(sys.argv) != 4 or sys.argv[1] not in MUTATIONS:
        print(__doc__, file=sys.stderr)
        return 2
    name, src, out = sys.argv[1:]
    text = open(src).read()
    for old, new in MUTATIONS[name][1]:
        if text.count(old) != 1:
            print(f"mutation {name}: the text it replaces occurs {text.count(old)} times "
                  f"in {src}; update explore/mutations.py", file=sys.stderr)
            return 1
        text = text.replace(old, new)
    open(out, "w").write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
