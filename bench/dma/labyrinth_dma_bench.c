// SPDX-License-Identifier: GPL-2.0
/*
 * labyrinth_dma_bench: a DMA-mapped labyrinth pool beside page_pool with
 * PP_FLAG_DMA_MAP, both mapped for QEMU's edu device (1234:11e8), in one
 * boot.  A PCI driver: everything runs in its probe, which leaves the
 * device idle (edu never moves a byte here); results go to the console,
 * one line each:
 *
 *   LABYRINTH-DMA-INFO {json}  kernel, IOMMU domain, parameters
 *   LABYRINTH-DMA {json}       one (kind, peer) result
 *   LABYRINTH-DMA-END {json}   the last line
 *
 * Cost per page of what a receive ring's refill does: take a page, get
 * its DMA address, write both into a ring slot, give the page back.
 *   single  one page at a time: grant, lookup, free
 *   bulk    64 at a time: 64 grants (labyrinth_pool_alloc_bulk(); page_pool
 *           has no bulk allocation for its users in 6.12, so 64 calls),
 *           64 lookups, 64 frees (labyrinth_pool_free_bulk(); page_pool's
 *           direct recycle, one call a page)
 * Peers: labyrinth (labyrinth_pool_dma_addr()), labyrinth with a sync for
 * the device of the whole page after the lookup, page_pool
 * (page_pool_get_dma_addr(), page_pool_put_full_page(.., true)), page_pool
 * with PP_FLAG_DMA_SYNC_DEV (synced for the device at recycle, max_len a
 * page), and map_page: alloc_page(GFP_ATOMIC) + dma_map_page() +
 * dma_unmap_page() + __free_page(), the per-packet mapping that a premapped
 * pool saves.  All in process context, pinned to one CPU; page_pool with
 * BH disabled, as its direct recycle requires.
 *
 * @runs rounds after a warm-up, each round one stretch of every peer in
 * turn, per kind; a peer's figure is its median stretch.  After every
 * stretch, outside the timed part, each ring slot it wrote is checked:
 * the address is not DMA_MAPPING_ERROR, a second lookup gives the same,
 * and the IOMMU's own page table translates it back to the page's
 * physical address (iommu_iova_to_phys(); without an IOMMU, the direct
 * mapping's address).  At setup every frame of each pool is checked so.
 *
 * Guest times are emulated under QEMU TCG: compare ratios only.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/dma-direct.h>
#include <linux/dma-mapping.h>
#include <linux/gfp.h>
#include <linux/iommu.h>
#include <linux/ktime.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/utsname.h>
#include <net/page_pool/helpers.h>
#include <net/page_pool/types.h>

#include "../../labyrinth.h"

#define DB_MAX_RUNS	201
#define DB_BULK		64

static unsigned int iters = 512;
module_param(iters, uint, 0444);
MODULE_PARM_DESC(iters, "Pages per timed stretch, a multiple of 64 (default 512)");

static unsigned int runs = 201;
module_param(runs, uint, 0444);
MODULE_PARM_DESC(runs, "Timed stretches per figure after one warm-up, 1-201 (default 201)");

static unsigned int pool_pages = 256;
module_param(pool_pages, uint, 0444);
MODULE_PARM_DESC(pool_pages, "Frames of labyrinth's pool and page_pool's ring (default 256)");

static unsigned int dma_bits = 28;
module_param(dma_bits, uint, 0444);
MODULE_PARM_DESC(dma_bits, "DMA mask of the device in bits: edu's default is 28 (default 28)");

enum db_peer { DB_LAB, DB_LAB_SYNC, DB_PP, DB_PP_SYNC, DB_MAP, DB_NR_PEERS };
enum db_kind { DB_SINGLE, DB_BULK64, DB_NR_KINDS };

static const char * const db_peer_name[DB_NR_PEERS] = {
	[DB_LAB] = "labyrinth", [DB_LAB_SYNC] = "labyrinth_sync", [DB_PP] = "page_pool",
	[DB_PP_SYNC] = "page_pool_sync", [DB_MAP] = "map_page",
};

static const char * const db_kind_name[DB_NR_KINDS] = {
	[DB_SINGLE] = "single", [DB_BULK64] = "bulk64",
};

/**
 * struct db_stretch - one timed stretch
 * @peer: what is measured
 * @kind: one page at a time or 64
 * @n: pages tried
 * @ok: pages granted
 * @errs: lookups that gave DMA_MAPPING_ERROR, refused frees, failed syncs
 * @slots: ring slots the stretch's last page or batch left filled
 * @ns: elapsed time
 */
struct db_stretch {
	enum db_peer peer;
	enum db_kind kind;
	u32 n;
	u32 ok;
	u32 errs;
	u32 slots;
	u64 ns;
};

/**
 * struct db_tally - one peer's results in one kind, over every round
 * @timed: timed stretches, the warm-up left out
 * @tried: pages tried in them
 * @ok: pages granted
 * @errs: errors counted in the timed part
 * @checked: ring slots checked after the stretches
 * @bad: of those, addresses that failed a check
 */
struct db_tally {
	u32 timed;
	u32 tried;
	u32 ok;
	u32 errs;
	u32 checked;
	u32 bad;
};

/**
 * struct db_state - everything the benchmark holds
 * @pdev: the edu device
 * @dev: its &pci_dev.dev, every mapping's device
 * @domain: its IOMMU domain, NULL without an IOMMU
 * @pool: labyrinth pool, %LABYRINTH_POOL_DMA_MAP, DMA_FROM_DEVICE
 * @pp: page_pool with PP_FLAG_DMA_MAP, and with PP_FLAG_DMA_SYNC_DEV too
 * @virt: the ring: each slot's page address
 * @page: each slot's struct page (page_pool and map_page)
 * @dma: each slot's DMA address, as the peer's lookup gave it
 * @tally: each peer's results per kind
 * @ns: each stretch, tenths of a ns per page
 * @setup_checked: frames checked at setup
 * @setup_bad: of those, with a wrong or unstable address
 * @records: result lines printed
 * @failed: results that break a promise
 */
struct db_state {
	struct pci_dev *pdev;
	struct device *dev;
	struct iommu_domain *domain;
	struct labyrinth_pool *pool;
	struct page_pool *pp[2];
	void *virt[DB_BULK];
	struct page *page[DB_BULK];
	dma_addr_t dma[DB_BULK];
	struct db_tally tally[DB_NR_KINDS][DB_NR_PEERS];
	u64 ns[DB_NR_KINDS][DB_NR_PEERS][DB_MAX_RUNS];
	u32 setup_checked;
	u32 setup_bad;
	u32 records;
	u32 failed;
};

static struct db_state *db;

/* ---- the measured operations ---- */

/* Take one page into ring slot @slot; false when the peer had none. */
static __always_inline bool db_get(enum db_peer peer, unsigned int slot)
{
	struct page *page;

	switch (peer) {
	case DB_LAB:
	case DB_LAB_SYNC:
		db->virt[slot] = labyrinth_pool_alloc(db->pool);
		return db->virt[slot];
	case DB_PP:
	case DB_PP_SYNC:
		page = page_pool_alloc_pages(db->pp[peer == DB_PP_SYNC], GFP_ATOMIC | __GFP_NOWARN);
		break;
	default:
		page = alloc_page(GFP_ATOMIC | __GFP_NOWARN);
		break;
	}
	if (!page)
		return false;
	db->page[slot] = page;
	db->virt[slot] = page_address(page);
	return true;
}

/* The DMA address of slot @slot's page into the ring; 1 on an error. */
static __always_inline u32 db_lookup(enum db_peer peer, unsigned int slot)
{
	dma_addr_t dma;

	switch (peer) {
	case DB_LAB:
		dma = labyrinth_pool_dma_addr(db->pool, db->virt[slot]);
		break;
	case DB_LAB_SYNC:
		dma = labyrinth_pool_dma_addr(db->pool, db->virt[slot]);
		if (labyrinth_pool_dma_sync_for_device(db->pool, db->virt[slot], 0, PAGE_SIZE))
			dma = DMA_MAPPING_ERROR;
		break;
	case DB_PP:
	case DB_PP_SYNC:
		dma = page_pool_get_dma_addr(db->page[slot]);
		break;
	default:
		dma = dma_map_page(db->dev, db->page[slot], 0, PAGE_SIZE, DMA_FROM_DEVICE);
		if (dma_mapping_error(db->dev, dma))
			dma = DMA_MAPPING_ERROR;
		break;
	}
	db->dma[slot] = dma;
	return dma == DMA_MAPPING_ERROR;
}

/* Give slot @slot's page back; 1 when the free was refused. */
static __always_inline u32 db_put(enum db_peer peer, unsigned int slot)
{
	switch (peer) {
	case DB_LAB:
	case DB_LAB_SYNC:
		return labyrinth_pool_free(db->pool, db->virt[slot]) != 0;
	case DB_PP:
	case DB_PP_SYNC:
		page_pool_put_full_page(db->pp[peer == DB_PP_SYNC], db->page[slot], true);
		return 0;
	default:
		if (db->dma[slot] != DMA_MAPPING_ERROR)
			dma_unmap_page(db->dev, db->dma[slot], PAGE_SIZE, DMA_FROM_DEVICE);
		__free_page(db->page[slot]);
		return 0;
	}
}

static __always_inline void db_single(struct db_stretch *s, enum db_peer peer)
{
	unsigned int i, slot;

	for (i = 0; i < s->n; i++) {
		slot = i % DB_BULK;
		if (!db_get(peer, slot))
			continue;
		s->ok++;
		s->errs += db_lookup(peer, slot);
		s->errs += db_put(peer, slot);
	}
	s->slots = min(s->ok, DB_BULK);
}

static __always_inline void db_bulk(struct db_stretch *s, enum db_peer peer)
{
	bool lab = peer == DB_LAB || peer == DB_LAB_SYNC;
	unsigned int b, i, got;

	for (b = 0; b < s->n / DB_BULK; b++) {
		if (lab) {
			got = labyrinth_pool_alloc_bulk(db->pool, db->virt, DB_BULK);
		} else {
			for (got = 0, i = 0; i < DB_BULK; i++)
				got += db_get(peer, got);
		}
		for (i = 0; i < got; i++)
			s->errs += db_lookup(peer == DB_LAB_SYNC ? DB_LAB : peer, i);
		if (peer == DB_LAB_SYNC && got &&
		    labyrinth_pool_dma_sync_bulk_for_device(db->pool, db->virt, got, 0, PAGE_SIZE))
			s->errs++;
		if (lab) {
			if (got && labyrinth_pool_free_bulk(db->pool, db->virt, got))
				s->errs++;
		} else {
			for (i = 0; i < got; i++)
				s->errs += db_put(peer, i);
		}
		s->ok += got;
		s->slots = got;
	}
}

/* One loop per (kind, peer), each with its peer's calls inlined. */
static noinline void db_loop(struct db_stretch *s)
{
	bool one = s->kind == DB_SINGLE;

	switch (s->peer) {
	case DB_LAB:
		one ? db_single(s, DB_LAB) : db_bulk(s, DB_LAB);
		break;
	case DB_LAB_SYNC:
		one ? db_single(s, DB_LAB_SYNC) : db_bulk(s, DB_LAB_SYNC);
		break;
	case DB_PP:
		one ? db_single(s, DB_PP) : db_bulk(s, DB_PP);
		break;
	case DB_PP_SYNC:
		one ? db_single(s, DB_PP_SYNC) : db_bulk(s, DB_PP_SYNC);
		break;
	default:
		one ? db_single(s, DB_MAP) : db_bulk(s, DB_MAP);
		break;
	}
}

/* ---- checks, never timed ---- */

/* Does @dma reach @virt's page: the IOMMU's page table, or the direct mapping? */
static bool db_truth(dma_addr_t dma, void *virt)
{
	phys_addr_t phys = virt_to_phys(virt);

	if (dma == DMA_MAPPING_ERROR)
		return false;
	if (db->domain)
		return iommu_iova_to_phys(db->domain, dma) == phys;
	return dma == phys_to_dma(db->dev, phys);
}

/* A second lookup of a pool page's address, which must give the first. */
static dma_addr_t db_relookup(enum db_peer peer, void *virt, struct page *page)
{
	if (peer == DB_LAB || peer == DB_LAB_SYNC)
		return labyrinth_pool_dma_addr(db->pool, virt);
	return page_pool_get_dma_addr(page);
}

/*
 * The ring slots a stretch left: the pool peers' pages are back in their
 * pool and still mapped, so their addresses must still translate to them.
 * map_page's are unmapped by now: its check is dma_mapping_error() in the
 * timed part.
 */
static void db_check_slots(struct db_stretch *s, struct db_tally *t)
{
	unsigned int i;

	if (s->peer == DB_MAP)
		return;
	for (i = 0; i < s->slots; i++) {
		t->checked++;
		if (!db_truth(db->dma[i], db->virt[i]) ||
		    db_relookup(s->peer, db->virt[i], db->page[i]) != db->dma[i])
			t->bad++;
	}
}

/* Every frame of labyrinth's pool, or as many pages as @pp's ring holds. */
static void db_check_pool(struct page_pool *pp)
{
	struct page **pages;
	void **virt;
	dma_addr_t dma;
	u32 n, i;

	virt = kvcalloc(pool_pages, sizeof(*virt), GFP_KERNEL);
	pages = kvcalloc(pool_pages, sizeof(*pages), GFP_KERNEL);
	if (!virt || !pages) {
		db->setup_bad++;
		goto out;
	}
	local_bh_disable();
	for (n = 0; n < pool_pages; n++) {
		pages[n] = pp ? page_pool_alloc_pages(pp, GFP_ATOMIC | __GFP_NOWARN) : NULL;
		virt[n] = pp ? (pages[n] ? page_address(pages[n]) : NULL) :
			       labyrinth_pool_alloc(db->pool);
		if (!virt[n])
			break;
	}
	for (i = 0; i < n; i++) {
		dma = pp ? page_pool_get_dma_addr(pages[i]) :
			   labyrinth_pool_dma_addr(db->pool, virt[i]);
		db->setup_checked++;
		if (!db_truth(dma, virt[i]) ||
		    dma != (pp ? page_pool_get_dma_addr(pages[i]) :
				 labyrinth_pool_dma_addr(db->pool, virt[i])))
			db->setup_bad++;
	}
	for (i = 0; i < n; i++) {
		if (pp)
			page_pool_put_full_page(pp, pages[i], true);
		else if (labyrinth_pool_free(db->pool, virt[i]))
			db->setup_bad++;
	}
	local_bh_enable();
	/* labyrinth's reserve is the pool: every frame must have come */
	if (!pp && n != pool_pages)
		db->setup_bad++;
out:
	kvfree(pages);
	kvfree(virt);
}

/* ---- measurement ---- */

static void db_run_stretch(struct db_stretch *s)
{
	bool bh = s->peer == DB_PP || s->peer == DB_PP_SYNC;
	u64 t0;

	preempt_disable();
	if (bh)
		local_bh_disable();
	t0 = ktime_get_mono_fast_ns();
	db_loop(s);
	s->ns = ktime_get_mono_fast_ns() - t0;
	if (bh)
		local_bh_enable();
	preempt_enable();
}

static int db_cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

/* Tenths of a ns as "12.3". */
static void db_fmt(char *buf, size_t len, u64 tenths)
{
	u32 rem;
	u64 whole = div_u64_rem(tenths, 10, &rem);

	snprintf(buf, len, "%llu.%u", whole, rem);
}

static void db_report(enum db_kind kind, enum db_peer peer)
{
	struct db_tally *t = &db->tally[kind][peer];
	u64 *ns = db->ns[kind][peer];
	char med[24], lo[24];
	u32 r = t->timed;

	db->records++;
	sort(ns, r, sizeof(*ns), db_cmp_u64, NULL);
	db_fmt(med, sizeof(med), r ? ns[r / 2] : 0);
	db_fmt(lo, sizeof(lo), r ? ns[0] : 0);
	/* labyrinth's pool holds at most 64 frames granted at once here */
	if (t->errs || t->bad || !r ||
	    ((peer == DB_LAB || peer == DB_LAB_SYNC) && t->ok != t->tried))
		db->failed++;
	pr_notice("LABYRINTH-DMA {\"kind\":\"%s\",\"peer\":\"%s\",\"ns\":%s,\"ns_min\":%s,\"ok\":%u,\"n\":%u,\"runs\":%u,\"errs\":%u,\"checked\":%u,\"bad\":%u}\n",
		  db_kind_name[kind], db_peer_name[peer], med, lo, t->ok, t->tried, r,
		  t->errs, t->checked, t->bad);
}

/*
 * @runs rounds after one warm-up; each round one stretch of every peer in
 * turn, single then bulk, so that a slow spell of the host weighs on every
 * peer alike.
 */
static void db_measure(void)
{
	struct db_stretch s;
	struct db_tally *t;
	int kind, peer;
	u32 r;

	for (r = 0; r <= runs; r++) {
		for (kind = 0; kind < DB_NR_KINDS; kind++) {
			for (peer = 0; peer < DB_NR_PEERS; peer++) {
				t = &db->tally[kind][peer];
				s = (struct db_stretch){ .peer = peer, .kind = kind, .n = iters };
				db_run_stretch(&s);
				db_check_slots(&s, t);
				if (!r)
					continue;	/* warm-up */
				db->ns[kind][peer][t->timed++] = div_u64(s.ns * 10, iters);
				t->tried += s.n;
				t->ok += s.ok;
				t->errs += s.errs;
			}
		}
		cond_resched();
	}
	for (kind = 0; kind < DB_NR_KINDS; kind++)
		for (peer = 0; peer < DB_NR_PEERS; peer++)
			db_report(kind, peer);
}

/* ---- setup ---- */

static const char *db_domain_name(void)
{
	if (!db->domain)
		return "none";
	switch (db->domain->type) {
	case IOMMU_DOMAIN_DMA:
		return "DMA";
	case IOMMU_DOMAIN_DMA_FQ:
		return "DMA-FQ";
	case IOMMU_DOMAIN_IDENTITY:
		return "identity";
	default:
		return "other";
	}
}

static struct page_pool *db_page_pool(bool sync)
{
	struct page_pool_params pp = {
		.flags = PP_FLAG_DMA_MAP | (sync ? PP_FLAG_DMA_SYNC_DEV : 0),
		.order = 0, .pool_size = pool_pages, .nid = dev_to_node(db->dev),
		.dev = db->dev, .dma_dir = DMA_FROM_DEVICE, .max_len = PAGE_SIZE, .offset = 0,
	};

	return page_pool_create(&pp);
}

static void db_teardown(void)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(db->pp); i++)
		if (!IS_ERR_OR_NULL(db->pp[i]))
			page_pool_destroy(db->pp[i]);
	if (!IS_ERR_OR_NULL(db->pool))
		labyrinth_pool_destroy(db->pool);
}

static int db_setup(void)
{
	const struct labyrinth_pool_config cfg = {
		.name = "dma_bench", .nr_frames = pool_pages,
		.flags = LABYRINTH_POOL_SINGLE_OWNER | LABYRINTH_POOL_DMA_MAP,
		.dma_dev = db->dev, .dma_dir = DMA_FROM_DEVICE,
	};

	db->pool = labyrinth_pool_create_config(&cfg);
	db->pp[0] = db_page_pool(false);
	db->pp[1] = db_page_pool(true);
	if (IS_ERR(db->pool) || IS_ERR(db->pp[0]) || IS_ERR(db->pp[1])) {
		dev_err(db->dev, "setup failed: pool %pe, page_pool %pe, page_pool sync %pe\n",
			db->pool, db->pp[0], db->pp[1]);
		db_teardown();
		return -ENOMEM;
	}
	db_check_pool(NULL);
	db_check_pool(db->pp[0]);
	db_check_pool(db->pp[1]);
	return 0;
}

static int db_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	u64 start = ktime_get_ns();
	int err;

	if (db)
		return -EBUSY;	/* one device measures */
	if (!iters || iters % DB_BULK || !runs || runs > DB_MAX_RUNS || pool_pages < 2 * DB_BULK) {
		dev_err(&pdev->dev, "iters a multiple of %u, runs 1-%u, pool_pages at least %u\n",
			DB_BULK, DB_MAX_RUNS, 2 * DB_BULK);
		return -EINVAL;
	}
	err = pci_enable_device(pdev);
	if (err)
		return err;
	pci_set_master(pdev);
	err = dma_set_mask_and_coherent(&pdev->dev, DMA_BIT_MASK(dma_bits));
	if (err)
		goto disable;
	db = kvzalloc(sizeof(*db), GFP_KERNEL);
	if (!db) {
		err = -ENOMEM;
		goto disable;
	}
	db->pdev = pdev;
	db->dev = &pdev->dev;
	db->domain = iommu_get_domain_for_dev(&pdev->dev);
	err = db_setup();
	if (err)
		goto free;
	pr_notice("LABYRINTH-DMA-INFO {\"kernel\":\"%s\",\"dev\":\"%s\",\"domain\":\"%s\",\"dma_bits\":%u,\"cpus\":%u,\"iters\":%u,\"runs\":%u,\"pool_pages\":%u,\"bulk\":%u,\"init_on_alloc\":%d,\"dma_need_sync\":%d,\"clock\":\"ktime_get_mono_fast_ns\"}\n",
		  init_utsname()->release, dev_name(&pdev->dev), db_domain_name(), dma_bits,
		  num_online_cpus(), iters, runs, pool_pages, DB_BULK,
		  want_init_on_alloc(GFP_KERNEL), dma_dev_need_sync(&pdev->dev));

	db_measure();
	db_teardown();
	if (db->setup_bad)
		db->failed++;
	pr_notice("LABYRINTH-DMA-END {\"records\":%u,\"failed\":%u,\"setup_checked\":%u,\"setup_bad\":%u,\"elapsed_ms\":%llu}\n",
		  db->records, db->failed, db->setup_checked, db->setup_bad,
		  div_u64(ktime_get_ns() - start, NSEC_PER_MSEC));
	/* the device stays bound, idle, until the module goes */
	return 0;
free:
	kvfree(db);
	db = NULL;
disable:
	pci_clear_master(pdev);
	pci_disable_device(pdev);
	return err;
}

static void db_remove(struct pci_dev *pdev)
{
	if (db && db->pdev == pdev) {
		kvfree(db);
		db = NULL;
	}
	pci_clear_master(pdev);
	pci_disable_device(pdev);
}

static const struct pci_device_id db_ids[] = {
	{ PCI_DEVICE(0x1234, 0x11e8) },
	{ }
};
MODULE_DEVICE_TABLE(pci, db_ids);

static struct pci_driver db_driver = {
	.name = KBUILD_MODNAME,
	.id_table = db_ids,
	.probe = db_probe,
	.remove = db_remove,
};
module_pci_driver(db_driver);

MODULE_IMPORT_NS(LABYRINTH);
MODULE_LICENSE("GPL");
MODULE_AUTHOR("labyrinth developers");
MODULE_DESCRIPTION("labyrinth's DMA-mapped pool beside page_pool with PP_FLAG_DMA_MAP on QEMU's edu device");
