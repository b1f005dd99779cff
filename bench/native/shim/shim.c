// SPDX-License-Identifier: GPL-2.0
/*
 * Out-of-line parts of the user-space shims (the role tools/testing/shared
 * linux.c plays for the radix-tree tests): CPU ids, the mmap() page
 * allocator and its page registry, kmalloc, per-CPU areas, bitmap
 * searches, the workqueue and printk.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/bitmap.h>
#include <linux/cache.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/percpu.h>
#include <linux/slab.h>
#include <linux/workqueue.h>

/* labyrinth_core.c's default pool: a harness sets it to use those exports */
struct labyrinth_pool *labyrinth_default;

long lab_shim_mb_word;	/* smp_mb()'s locked RMW */
unsigned int nr_cpu_ids = 1;
unsigned int lab_shim_nr_online = 1;
__thread int lab_shim_cpu;
__thread unsigned long lab_shim_cpu_off;

bool lab_shim_init_on_alloc;
bool lab_shim_init_on_free;
bool lab_shim_quiet;

long lab_shim_pages_live;	/* pages mapped by alloc_pages_node() */
long lab_shim_page_budget = -1;	/* pages alloc_pages_node() may still map; -1 no limit */
long lab_shim_allocs_live;	/* kmalloc and per-CPU blocks not yet freed */
long lab_shim_warnings;

void lab_shim_set_cpu(int cpu)
{
	lab_shim_cpu = cpu;
	lab_shim_cpu_off = (unsigned long)cpu * LAB_PCPU_UNIT;
}

/*
 * Page registry, for the harness's owner table: while started, every block
 * alloc_pages_node() maps is recorded and each of its pages numbered, like
 * an index into mem_map, independently of the pool's own bookkeeping.
 * Appends are locked and published with a release; lookups are lock-free.
 */
#define REG_MAX		65536
static struct {
	unsigned long start;
	long nr, slot;
} reg[REG_MAX];
static unsigned int reg_nr;
static long reg_slots, reg_capacity;
static bool reg_on;
static pthread_mutex_t reg_lock = PTHREAD_MUTEX_INITIALIZER;

void lab_shim_registry_start(long capacity)
{
	pthread_mutex_lock(&reg_lock);
	__atomic_store_n(&reg_nr, 0, __ATOMIC_RELEASE);
	reg_slots = 0;
	reg_capacity = capacity;
	reg_on = true;
	pthread_mutex_unlock(&reg_lock);
}

void lab_shim_registry_stop(void)
{
	pthread_mutex_lock(&reg_lock);
	reg_on = false;
	__atomic_store_n(&reg_nr, 0, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&reg_lock);
}

static void reg_add(void *p, long nr)
{
	unsigned int n;

	pthread_mutex_lock(&reg_lock);
	if (reg_on) {
		n = reg_nr;
		if (n == REG_MAX || reg_slots + nr > reg_capacity) {
			fprintf(stderr, "shim: page registry full\n");
			abort();
		}
		reg[n].start = (unsigned long)p;
		reg[n].nr = nr;
		reg[n].slot = reg_slots;
		reg_slots += nr;
		__atomic_store_n(&reg_nr, n + 1, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&reg_lock);
}

/* pages numbered so far since the registry was started */
long lab_shim_registry_slots(void)
{
	long n;

	pthread_mutex_lock(&reg_lock);
	n = reg_slots;
	pthread_mutex_unlock(&reg_lock);
	return n;
}

long lab_shim_page_slot(const void *addr)
{
	unsigned int i, n = __atomic_load_n(&reg_nr, __ATOMIC_ACQUIRE);
	unsigned long a = (unsigned long)addr;

	for (i = 0; i < n; i++)
		if (a >= reg[i].start && a < reg[i].start + reg[i].nr * PAGE_SIZE)
			return reg[i].slot + (a - reg[i].start) / PAGE_SIZE;
	return -1;
}

struct page *alloc_pages_node(int nid, gfp_t gfp_mask, unsigned int order)
{
	long nr = 1L << order;
	void *p;

	/* fault injection for the harness: a limited budget of pages */
	if (__atomic_load_n(&lab_shim_page_budget, __ATOMIC_RELAXED) >= 0 &&
	    __atomic_sub_fetch(&lab_shim_page_budget, nr, __ATOMIC_RELAXED) < 0) {
		__atomic_add_fetch(&lab_shim_page_budget, nr, __ATOMIC_RELAXED);
		return NULL;
	}
	p = mmap(NULL, nr * PAGE_SIZE, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	__atomic_add_fetch(&lab_shim_pages_live, nr, __ATOMIC_RELAXED);
	reg_add(p, nr);
	return (struct page *)p;
}

void free_pages(unsigned long addr, unsigned int order)
{
	if (!addr)
		return;
	if (munmap((void *)addr, PAGE_SIZE << order)) {
		perror("shim: munmap");
		abort();
	}
	__atomic_sub_fetch(&lab_shim_pages_live, 1L << order, __ATOMIC_RELAXED);
}

void __free_pages(struct page *page, unsigned int order)
{
	free_pages((unsigned long)page_address(page), order);
}

long si_mem_available(void)
{
	return sysconf(_SC_AVPHYS_PAGES);
}

void *lab_shim_kmalloc(size_t n, size_t size, bool zero)
{
	size_t bytes, align;
	void *p;

	if (__builtin_mul_overflow(n, size, &bytes))
		return NULL;
	align = bytes >= PAGE_SIZE ? PAGE_SIZE : SMP_CACHE_BYTES;
	bytes = round_up(bytes ? bytes : 1, align);
	p = aligned_alloc(align, bytes);
	if (!p)
		return NULL;
	if (zero)
		memset(p, 0, bytes);
	__atomic_add_fetch(&lab_shim_allocs_live, 1, __ATOMIC_RELAXED);
	return p;
}

#ifdef LAB_EXPLORE
/* the explorer checks that no actor still uses what is given back */
void lab_explore_on_release(const void *ptr);
#else
static inline void lab_explore_on_release(const void *ptr)
{
}
#endif

void kfree(const void *ptr)
{
	if (!ptr)
		return;
	lab_explore_on_release(ptr);
	__atomic_sub_fetch(&lab_shim_allocs_live, 1, __ATOMIC_RELAXED);
	free((void *)ptr);
}

void __percpu *__alloc_percpu(size_t size, size_t align)
{
	void *p;

	if (size > LAB_PCPU_UNIT || align > LAB_PCPU_UNIT)
		return NULL;
	p = aligned_alloc(LAB_PCPU_UNIT, nr_cpu_ids * LAB_PCPU_UNIT);
	if (!p)
		return NULL;
	memset(p, 0, nr_cpu_ids * LAB_PCPU_UNIT);
	__atomic_add_fetch(&lab_shim_allocs_live, 1, __ATOMIC_RELAXED);
	return p;
}

void free_percpu(void __percpu *ptr)
{
	kfree(ptr);
}

#ifndef LAB_EXPLORE
/* the workqueue: one kworker thread, items run in queue order */
static struct workqueue_struct {
	pthread_mutex_t lock;
	pthread_cond_t more, idle;
	struct work_struct *head, *tail, *running;
	pthread_once_t once;
} wq = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.more = PTHREAD_COND_INITIALIZER,
	.idle = PTHREAD_COND_INITIALIZER,
	.once = PTHREAD_ONCE_INIT,
};

struct workqueue_struct *system_wq = &wq;

static void *kworker(void *arg)
{
	struct work_struct *work;

	lab_shim_set_cpu(0);
	pthread_mutex_lock(&wq.lock);
	for (;;) {
		while (!wq.head)
			pthread_cond_wait(&wq.more, &wq.lock);
		work = wq.head;
		wq.head = work->next;
		if (!wq.head)
			wq.tail = NULL;
		work->pending = false;
		wq.running = work;
		pthread_mutex_unlock(&wq.lock);
		work->func(work);
		pthread_mutex_lock(&wq.lock);
		wq.running = NULL;
		pthread_cond_broadcast(&wq.idle);
	}
	return NULL;
}

static void kworker_start(void)
{
	pthread_t t;

	if (pthread_create(&t, NULL, kworker, NULL)) {
		fprintf(stderr, "shim: cannot start the kworker\n");
		abort();
	}
	pthread_detach(t);
}

bool queue_work(struct workqueue_struct *q, struct work_struct *work)
{
	bool queued = false;

	pthread_once(&q->once, kworker_start);
	pthread_mutex_lock(&q->lock);
	if (!work->pending) {
		work->pending = true;
		work->next = NULL;
		if (q->tail)
			q->tail->next = work;
		else
			q->head = work;
		q->tail = work;
		pthread_cond_signal(&q->more);
		queued = true;
	}
	pthread_mutex_unlock(&q->lock);
	return queued;
}

bool flush_work(struct work_struct *work)
{
	bool waited = false;

	pthread_mutex_lock(&wq.lock);
	while (work->pending || wq.running == work) {
		pthread_cond_wait(&wq.idle, &wq.lock);
		waited = true;
	}
	pthread_mutex_unlock(&wq.lock);
	return waited;
}

bool cancel_work_sync(struct work_struct *work)
{
	struct work_struct **pp, *prev = NULL;
	bool was_pending = false;

	pthread_mutex_lock(&wq.lock);
	if (work->pending) {
		for (pp = &wq.head; *pp; prev = *pp, pp = &(*pp)->next) {
			if (*pp == work) {
				*pp = work->next;
				if (wq.tail == work)
					wq.tail = prev;
				break;
			}
		}
		work->pending = false;
		was_pending = true;
	}
	while (wq.running == work)
		pthread_cond_wait(&wq.idle, &wq.lock);
	pthread_mutex_unlock(&wq.lock);
	return was_pending;
}

void lab_shim_flush_workqueue(void)
{
	pthread_mutex_lock(&wq.lock);
	while (wq.head || wq.running)
		pthread_cond_wait(&wq.idle, &wq.lock);
	pthread_mutex_unlock(&wq.lock);
}

#endif /* !LAB_EXPLORE */

/* lib/find_bit.c's job: first bit at or after @offset that is (not) set */
static __always_inline unsigned long lab_find_next(const unsigned long *addr,
						   unsigned long size,
						   unsigned long offset,
						   unsigned long invert)
{
	unsigned long idx, val;

	if (unlikely(offset >= size))
		return size;
	idx = offset / BITS_PER_LONG;
	val = (__atomic_load_n(&addr[idx], __ATOMIC_RELAXED) ^ invert) &
	      BITMAP_FIRST_WORD_MASK(offset);
	while (!val) {
		if ((idx + 1) * BITS_PER_LONG >= size)
			return size;
		idx++;
		val = __atomic_load_n(&addr[idx], __ATOMIC_RELAXED) ^ invert;
	}
	val = idx * BITS_PER_LONG + __ffs(val);
	return val < size ? val : size;
}

unsigned long _find_next_bit(const unsigned long *addr, unsigned long size,
			     unsigned long offset)
{
	return lab_find_next(addr, size, offset, 0);
}

unsigned long _find_next_zero_bit(const unsigned long *addr, unsigned long size,
				  unsigned long offset)
{
	return lab_find_next(addr, size, offset, ~0UL);
}

void lab_shim_printk(const char *level, const char *fmt, ...)
{
	char buf[512];
	size_t i, o = 0;
	va_list ap;

	__atomic_add_fetch(&lab_shim_warnings, 1, __ATOMIC_RELAXED);
	if (__atomic_load_n(&lab_shim_quiet, __ATOMIC_RELAXED))
		return;
	/* the kernel's %pS (symbol+offset) has no libc match: print %p */
	for (i = 0; fmt[i] && o < sizeof(buf) - 1; i++) {
		bool sym = fmt[i + 1] == 'p' && (fmt[i + 2] == 'S' || fmt[i + 2] == 's');

		buf[o++] = fmt[i];
		if (fmt[i] == '%' && sym) {
			if (o < sizeof(buf) - 1)
				buf[o++] = 'p';
			i += 2;
		} else if (fmt[i] == '%' && fmt[i + 1] == '%' && o < sizeof(buf) - 1) {
			buf[o++] = fmt[++i];
		}
	}
	buf[o] = '\0';
	fprintf(stderr, "[%s] ", level);
	va_start(ap, fmt);
	vfprintf(stderr, buf, ap);
	va_end(ap);
}
