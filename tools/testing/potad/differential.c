// SPDX-License-Identifier: GPL-2.0
/*
 * POTAD userspace harness: the randomised differential test, included by
 * potad_test.c.
 *
 * The reference model is a byte per unit (absent, free, allocated,
 * allocated and retired, retired) plus the slot owning each allocated
 * unit.  Every operation's result is predicted from the model first:
 * the error code, whether it warns, and for allocations the exact block
 * (smallest order with a free block, lowest address), using the model's
 * canonical buddy decomposition, kept incrementally per order.  After
 * every operation the allocator's counters (including nr_free[] of every
 * order) must equal the model's.  Every POTAD_CHECK_EVERY operations and
 * at the end the model is recomputed from scratch and the allocator's
 * exact free set is probed by allocating every block the model says is
 * free, at its address.
 *
 * differential_memory runs the same on a memory space of 4 KiB units, so
 * the physical-address index (mm/potad_lookup.c) is checked too: at every
 * full check, potad_lookup() of a random byte of every unit must return
 * the descriptor of the block owning it, or NULL for free, retired and
 * absent units.  Some frees there run with the next allocation failing,
 * which leaves index placeholders, and the work item that removes them
 * runs at random.
 */

enum { U_ABSENT, U_FREE, U_ALLOC, U_ALLOC_RET, U_RETIRED, U_NSTATES };

static const char *const ustate_name[] = {
	"absent", "free", "allocated", "allocated+retired", "retired",
};

#define MAXLV		64
#define NDEAD		16
#define HIST		24

enum { SLOT_FREE, SLOT_LIVE, SLOT_DEAD };
enum { KIND_SLAB, KIND_CM };

struct slot {
	int state;
	int kind;
	struct potad_desc *d;
	struct big_desc *big;
	struct cm_desc cm;
	unsigned long start, nr_live;
	unsigned int order;
	u8 pat;
	int live_idx;
};

static struct diff {
	/* model */
	unsigned long base, span;
	unsigned int max_order;
	u8 *st;
	int *owner;
	unsigned long cnt[U_NSTATES];
	unsigned long nb[MAXLV];
	u64 *full[MAXLV], *canon[MAXLV];
	unsigned long nfree[MAXLV];
	unsigned long hint[MAXLV];	/* canon[k] words below are zero */
	unsigned long nr_allocs, nr_frees, enospc, ebusy;

	struct potad pa, pb;
	struct potad_desc *foreign;	/* live in pb */

	struct slot *slots;
	int nslots;
	int *live, nlive;
	int *freeslots, nfreeslots;
	int dead[NDEAD], ndead, dead_next;

	struct rng r;
	uint64_t seed;
	unsigned long nops, op, check_every;
	unsigned long stat_ops[16], stat_ok[16];
	char hist[HIST][200];
	char *opdesc;
	long exp_warn;
	bool failed;
	unsigned long refree;	/* partial frees of units freed already */
	unsigned long refree_reused;	/* ... that another block holds */
	unsigned long alloc_live;	/* alloc_desc() into a live descriptor */
	double occ[U_NSTATES], top_free;
	bool draining;
	bool memory;		/* a memory space: check the index */
	unsigned long holes;	/* frees that left an index placeholder */
	const char *name;
	int nwin;
	unsigned long win_lo[4], win_hi[4], wsize;
} D;

enum {
	OP_ALLOC, OP_ALLOC_AT, OP_ALLOC_DESC, OP_FREE, OP_FREE_RANGE,
	OP_RETIRE, OP_ADD, OP_WITHDRAW, OP_MISC, OP_NR,
};

static const char *const op_name[] = {
	"alloc", "alloc_at", "alloc_desc", "free", "free_range", "retire",
	"add_range", "withdraw_range", "misuse",
};

/* Record that the differential failed, with the context; false. */
__printf(1, 2)
static bool diff_err(const char *fmt, ...)
{
	va_list ap;
	int i;

	cur_fail++;
	if (D.failed)
		return false;
	D.failed = true;
	printf("#   differential: op %lu failed: %s\n#     ", D.op, D.opdesc);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n#   last operations:\n");
	for (i = HIST - 1; i >= 1; i--) {
		if (D.op >= (unsigned long)i)
			printf("#     %s\n", D.hist[(D.op - i) % HIST]);
	}
	printf("#   reproduce: POTAD_SEED=%llu POTAD_OPS=%lu ./potad_test %s\n",
	       (unsigned long long)D.seed, D.op + 1, D.name);
	return false;
}

/* Describe the operation about to run, for diff_err() and the history. */
__printf(1, 2)
static void set_op(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(D.opdesc, 200, fmt, ap);
	va_end(ap);
}

static inline bool tb(const u64 *m, unsigned long i)
{
	return m[i / 64] >> (i % 64) & 1;
}

static inline void wb(u64 *m, unsigned long i, bool v)
{
	if (v)
		m[i / 64] |= 1ULL << (i % 64);
	else
		m[i / 64] &= ~(1ULL << (i % 64));
}

/* Recompute full[] and canon[] (and nfree[]) over offsets [lo, hi]. */
static void m_update(unsigned long lo, unsigned long hi)
{
	unsigned int k;

	for (k = 0; k <= D.max_order; k++) {
		unsigned long a = lo >> k, b = hi >> k, i;

		if (b >= D.nb[k])
			b = D.nb[k] - 1;
		for (i = a; i <= b && a < D.nb[k]; i++) {
			bool f = k ? tb(D.full[k - 1], 2 * i) &&
				     tb(D.full[k - 1], 2 * i + 1) :
				     D.st[i] == U_FREE;

			wb(D.full[k], i, f);
		}
	}
	for (k = 0; k <= D.max_order; k++) {
		unsigned long a, b, i;

		if (k < D.max_order) {
			a = (lo >> (k + 1)) << 1;
			b = ((hi >> (k + 1)) << 1) + 1;
		} else {
			a = lo >> k;
			b = hi >> k;
		}
		if (b >= D.nb[k])
			b = D.nb[k] - 1;
		for (i = a; i <= b && a < D.nb[k]; i++) {
			bool c = tb(D.full[k], i) &&
				 (k == D.max_order || i / 2 >= D.nb[k + 1] ||
				  !tb(D.full[k + 1], i / 2));

			if (c != tb(D.canon[k], i)) {
				wb(D.canon[k], i, c);
				if (c) {
					D.nfree[k]++;
					if (i / 64 < D.hint[k])
						D.hint[k] = i / 64;
				} else {
					D.nfree[k]--;
				}
			}
		}
	}
}

static void m_set(unsigned long off, u8 state, int owner)
{
	D.cnt[D.st[off]]--;
	D.cnt[state]++;
	D.st[off] = state;
	D.owner[off] = owner;
}

/* Lowest canonical free block of the smallest order >= @order. */
static unsigned long m_find(unsigned int order)
{
	unsigned int k;

	for (k = order; k <= D.max_order; k++) {
		unsigned long w;

		if (!D.nfree[k])
			continue;
		/* No set bit below word hint[k]. */
		for (w = D.hint[k]; w < DIV_ROUND_UP(D.nb[k], 64); w++) {
			if (D.canon[k][w]) {
				D.hint[k] = w;
				return (w * 64 + __builtin_ctzll(D.canon[k][w])) << k;
			}
		}
	}
	return ULONG_MAX;
}

static unsigned long m_total(void)
{
	return D.span - D.cnt[U_ABSENT];
}

/* Absent units, roughly those of the windows. */
static unsigned long m_absent(void)
{
	unsigned long outside = D.span - D.wsize;

	return D.cnt[U_ABSENT] > outside ? D.cnt[U_ABSENT] - outside : 0;
}

static bool m_all(unsigned long off, unsigned long n, u8 state)
{
	unsigned long i;

	for (i = off; i < off + n; i++)
		if (D.st[i] != state)
			return false;
	return true;
}

/*
 * Random choices are made inside windows of the space: the whole space
 * for the small configuration, a few windows of a large sparse space for
 * the wide one (so that the scans below stay cheap).
 */
static unsigned long rand_off(void)
{
	int w = rng_below(&D.r, D.nwin);

	return D.win_lo[w] + rng_below(&D.r, D.win_hi[w] - D.win_lo[w]);
}

/* A random unit (offset) in state @a or @b, or ULONG_MAX. */
static unsigned long m_random_unit(u8 a, u8 b)
{
	int w0 = rng_below(&D.r, D.nwin), j;

	for (j = 0; j < D.nwin; j++) {
		int w = (w0 + j) % D.nwin;
		unsigned long lo = D.win_lo[w], n = D.win_hi[w] - lo;
		unsigned long i, s = rng_below(&D.r, n);

		for (i = 0; i < n; i++) {
			unsigned long u = lo + (s + i) % n;

			if (D.st[u] == a || D.st[u] == b)
				return u;
		}
	}
	return ULONG_MAX;
}

/* Is [start, start + n) (absolute) inside the space?  Sets *off. */
static bool m_in_space(unsigned long start, unsigned long n,
		       unsigned long *off)
{
	if (!n || start < D.base || start - D.base >= D.span ||
	    n > D.span - (start - D.base))
		return false;
	*off = start - D.base;
	return true;
}

/* ---- checks ---- */

static bool d_stat_ok(const char *when, const char *field, unsigned long got,
		      unsigned long model)
{
	if (got == model)
		return true;
	return diff_err("%s: stats.%s %lu, model %lu", when, field, got, model);
}

static bool d_check_stats(const char *when)
{
	struct potad_stats st;
	int k;

	get_stats(&D.pa, &st);
	/* Only -ENOSPC counts in alloc_failures. */
	if (!d_stat_ok(when, "units_total", st.units_total, m_total()) ||
	    !d_stat_ok(when, "units_free", st.units_free, D.cnt[U_FREE]) ||
	    !d_stat_ok(when, "units_allocated", st.units_allocated,
		       D.cnt[U_ALLOC] + D.cnt[U_ALLOC_RET]) ||
	    !d_stat_ok(when, "units_retired", st.units_retired,
		       D.cnt[U_RETIRED]) ||
	    !d_stat_ok(when, "nr_allocs", st.nr_allocs, D.nr_allocs) ||
	    !d_stat_ok(when, "nr_frees", st.nr_frees, D.nr_frees) ||
	    !d_stat_ok(when, "alloc_failures", st.alloc_failures, D.enospc) ||
	    !d_stat_ok(when, "max_order", st.max_order, D.max_order))
		return false;
	for (k = 0; k < POTAD_NR_ORDERS; k++) {
		unsigned long v = k <= (int)D.max_order ? D.nfree[k] : 0;

		if (st.nr_free[k] != v)
			return diff_err("%s: stats.nr_free[%d] %lu, model %lu",
					when, k, st.nr_free[k], v);
	}
	return true;
}

static bool d_full_check(void)
{
	unsigned long cnt[U_NSTATES] = { 0 };
	unsigned long nr_free[POTAD_NR_ORDERS], probes, i;
	u8 *isfree = malloc(D.span);
	int k, j;
	bool ok = true;

	for (i = 0; i < D.span; i++) {
		cnt[D.st[i]]++;
		isfree[i] = D.st[i] == U_FREE;
	}
	for (k = 0; k < U_NSTATES; k++)
		if (cnt[k] != D.cnt[k])
			ok = diff_err("model: %lu units %s, counted %lu",
				      cnt[k], ustate_name[k], D.cnt[k]);
	/* The incremental decomposition against the greedy one. */
	canon_decompose(isfree, D.base, D.span, D.max_order, NULL, NULL,
			nr_free);
	for (k = 0; ok && k <= (int)D.max_order; k++)
		if (nr_free[k] != D.nfree[k])
			ok = diff_err("model: nr_free[%d] %lu incremental, %lu recomputed",
				      k, D.nfree[k], nr_free[k]);
	/*
	 * -ENOSPC for order k <=> no canonical free block of order >= k
	 * <=> no naturally aligned all-free block of order k at all.
	 */
	if (ok) {
		unsigned long *prefix = malloc((D.span + 1) * sizeof(*prefix));
		unsigned long above = 0;

		prefix[0] = 0;
		for (i = 0; i < D.span; i++)
			prefix[i + 1] = prefix[i] + isfree[i];
		for (k = D.max_order; ok && k >= 0; k--) {
			unsigned long n = 1UL << k, b;
			bool any = false;

			above += nr_free[k];
			for (b = (-D.base) & (n - 1); b + n <= D.span && !any; b += n)
				any = prefix[b + n] - prefix[b] == n;
			if (any != !!above) {
				diff_err("model: an all-free order-%d block %s, but %lu canonical blocks of order >= %d",
					 k, any ? "exists" : "doesn't exist",
					 above, k);
				ok = false;
			}
			if (any != (m_find(k) != ULONG_MAX))
				ok = diff_err("model: m_find(%d) disagrees", k);
		}
		free(prefix);
	}
	/* The index knows every allocated unit, and nothing else. */
	if (ok && D.memory) {
		struct rng lr = { D.op };

		rcu_read_lock();
		for (i = 0; ok && i < D.span; i++) {
			struct potad_desc *want = NULL, *got;
			phys_addr_t phys = ((phys_addr_t)(D.base + i) << 12) +
					   rng_below(&lr, 4096);

			if (D.st[i] == U_ALLOC || D.st[i] == U_ALLOC_RET)
				want = D.slots[D.owner[i]].d;
			got = potad_lookup(phys);
			if (got != want)
				ok = diff_err("index: unit %#lx (%s) finds %p, expected %p",
					      D.base + i, ustate_name[D.st[i]],
					      got, want);
		}
		rcu_read_unlock();
	}
	/* Live descriptors. */
	for (j = 0; ok && j < D.nlive; j++) {
		struct slot *s = &D.slots[D.live[j]];
		unsigned long owned = 0;

		for (i = s->start - D.base; i < s->start - D.base + (1UL << s->order); i++)
			owned += (D.st[i] == U_ALLOC || D.st[i] == U_ALLOC_RET) &&
				 D.owner[i] == D.live[j];
		if (owned != s->nr_live)
			ok = diff_err("model: slot %d owns %lu units, nr_live %lu",
				      D.live[j], owned, s->nr_live);
		if (s->d->state != POTAD_DESC_LIVE || s->d->nr_live != s->nr_live ||
		    s->d->start != s->start || s->d->order != s->order ||
		    s->d->potad != &D.pa) {
			diff_err("descriptor of block %#lx order %u: state %#x nr_live %lu start %#lx order %u, model nr_live %lu",
				 s->start, s->order, s->d->state, s->d->nr_live,
				 s->d->start, s->d->order, s->nr_live);
			ok = false;
		}
	}
	if (ok)
		ok = d_check_stats("full check");
	if (ok) {
		int before = cur_fail;

		/* Probe the allocator's exact free set. */
		ok = check_free_set(&D.pa, isfree, &probes, __FILE__, __LINE__);
		D.nr_allocs += probes;
		D.nr_frees += probes;
		if (!ok) {
			cur_fail = before;
			diff_err("full check: the allocator's free set is not the model's (see above)");
		}
	}
	free(isfree);
	return ok;
}

/* ---- slots ---- */

static struct slot *slot_get(int *idx)
{
	*idx = D.freeslots[--D.nfreeslots];
	return &D.slots[*idx];
}

static void slot_live(int idx)
{
	struct slot *s = &D.slots[idx];

	s->state = SLOT_LIVE;
	s->live_idx = D.nlive;
	D.live[D.nlive++] = idx;
}

static void slot_unlive(int idx)
{
	struct slot *s = &D.slots[idx];
	int last = D.live[--D.nlive];

	D.live[s->live_idx] = last;
	D.slots[last].live_idx = s->live_idx;
	if (s->kind == KIND_CM) {
		/* Keep dead caller descriptors around to free them again. */
		if (D.ndead == NDEAD) {
			int old = D.dead[D.dead_next];

			D.slots[old].state = SLOT_FREE;
			D.freeslots[D.nfreeslots++] = old;
		} else {
			D.ndead++;
		}
		D.dead[D.dead_next] = idx;
		D.dead_next = (D.dead_next + 1) % NDEAD;
		s->state = SLOT_DEAD;
	} else {
		s->state = SLOT_FREE;
		s->big = NULL;
		s->d = NULL;
		D.freeslots[D.nfreeslots++] = idx;
	}
}

static bool slot_pattern_ok(struct slot *s)
{
	size_t i;

	if (s->kind == KIND_CM)
		return cm_canaries_ok(&s->cm);
	for (i = 0; i < sizeof(s->big->head); i++)
		if (((u8 *)s->big->head)[i] != s->pat)
			return false;
	for (i = 0; i < sizeof(s->big->tail); i++)
		if (s->big->tail[i] != (u8)~s->pat)
			return false;
	return true;
}

/* The block of @s was released (last unit freed): check how. */
static bool slot_released(int idx)
{
	struct slot *s = &D.slots[idx];
	bool ok = true;

	/* Memory spaces release descriptors after a grace period. */
	if (D.memory && s->kind == KIND_CM)
		rcu_barrier();
	if (s->kind == KIND_CM) {
		if (s->cm.released != 1 || s->cm.release_bad_state ||
		    s->cm.release_locked || s->cm.d.state != POTAD_DESC_FREE) {
			diff_err("release op: called %d times, bad state %d, under lock %d, state %#x",
				 s->cm.released, s->cm.release_bad_state,
				 s->cm.release_locked, s->cm.d.state);
			ok = false;
		} else if (memcmp(&s->cm.at_release, &s->cm.d, sizeof(s->cm.d))) {
			ok = diff_err("descriptor written after its release op");
		} else if (!cm_canaries_ok(&s->cm)) {
			ok = diff_err("caller memory around the descriptor overwritten");
		}
	}
	slot_unlive(idx);
	return ok;
}

/* Units [off, off + n) of slot @idx are freed in the model. */
static void m_free_units(unsigned long off, unsigned long n)
{
	unsigned long i;

	for (i = off; i < off + n; i++)
		m_set(i, D.st[i] == U_ALLOC_RET ? U_RETIRED : U_FREE, -1);
	m_update(off, off + n - 1);
}

/* ---- random choices ---- */

static unsigned int rand_order(void)
{
	unsigned int r = rng_below(&D.r, 100);

	if (r < 45)
		return 0;
	if (r < 65)
		return 1;
	if (r < 77)
		return 2;
	if (r < 85)
		return 3;
	if (r < 98)
		return rng_below(&D.r, D.max_order + 1);
	return D.max_order + 1 + rng_below(&D.r, 3);
}

static gfp_t rand_gfp(void)
{
	switch (rng_below(&D.r, 4)) {
	case 0:
		return GFP_ATOMIC;
	case 1:
		return GFP_NOWAIT;
	}
	return GFP_KERNEL;
}

static unsigned long rand_start(unsigned int order)
{
	unsigned long mask = (1UL << (order < 63 ? order : 63)) - 1;
	unsigned int r = rng_below(&D.r, 100);
	unsigned long u;

	if (r < 45) {
		u = m_random_unit(U_FREE, U_FREE);
		if (u != ULONG_MAX)
			return (D.base + u) & ~mask;
	}
	if (r < 92)
		return (D.base + rand_off()) & ~mask;
	switch (rng_below(&D.r, 3)) {
	case 0:
		if (order)
			return ((D.base + rand_off()) & ~mask) + 1;
		fallthrough;
	case 1:
		return D.base + D.span + (rng_below(&D.r, 4) << order);
	}
	/* Below the space, or far above (never POTAD_ANY). */
	return D.base >= (1UL << order) ? D.base - (1UL << order) :
					  (ULONG_MAX >> 1) & ~mask;
}

/* ---- operations ---- */

static void op_alloc(int which)
{
	bool at = which != OP_ALLOC && (which == OP_ALLOC_AT || rng_pct(&D.r, 50));
	bool cm = which == OP_ALLOC_DESC;
	unsigned int order = rand_order();
	unsigned long start = at ? rand_start(order) : POTAD_ANY, off = 0;
	gfp_t gfp = rand_gfp();
	bool inject = !cm && rng_pct(&D.r, 3);
	long want, ret, inj0 = potad_injected_failures;
	unsigned long want_start = 0;
	struct potad_stats before;
	struct potad_desc *d;
	struct slot *s;
	int idx;

	if (!D.nfreeslots)	/* the space grew out of the windows */
		return;
	set_op("%s(%s, start %#lx, order %u%s)",
	       cm ? "potad_alloc_desc" : at ? "potad_alloc_at" : "potad_alloc",
	       cm ? "caller-mem" : "slab", start, order,
	       inject ? ", descriptor allocation fails" : "");
	if (order > D.max_order ||
	    (at && ((start & ((1UL << (order < 63 ? order : 63)) - 1)) ||
		    !m_in_space(start, 1UL << order, &off)))) {
		want = -EINVAL;
		D.exp_warn = 1;
	} else if (inject) {
		want = -ENOMEM;
	} else if (at) {
		want = m_all(off, 1UL << order, U_FREE) ? 0 : -EBUSY;
		want_start = start;
	} else {
		off = m_find(order);
		want = off == ULONG_MAX ? -ENOSPC : 0;
		want_start = D.base + off;
	}

	s = slot_get(&idx);
	get_stats(&D.pa, &before);
	if (cm) {
		memset(&s->cm, 0, sizeof(s->cm));
		s->cm.canary1 = CANARY;
		s->cm.canary2 = ~CANARY;
		memset(&s->cm.d, 0xab, sizeof(s->cm.d));
		ret = potad_alloc_desc(&D.pa, &s->cm.d, &t_cm, start, order, s, GFP_KERNEL);
		d = &s->cm.d;
	} else {
		if (inject)
			potad_fail_alloc_after = 0;
		d = at ? potad_alloc_at(&D.pa, &t_big, start, order, s, gfp) :
			 potad_alloc(&D.pa, &t_big, order, s, gfp);
		potad_fail_alloc_after = -1;
		ret = RESULT(d);
		if (ret == 1)
			ret = 0;
	}
	if (ret == -ENOMEM && potad_injected_failures == inj0)
		diff_err("-ENOMEM without an allocation failure");
	if (inject && want != -EINVAL && potad_injected_failures == inj0)
		diff_err("the descriptor allocation did not happen");
	if (ret != want) {
		diff_err("returned %s, expected %s%s", errname(ret), errname(want),
			 want == 0 ? " (a block)" : "");
		if (!ret && !cm)
			kmem_cache_free(t_big.cache, d);
		D.freeslots[D.nfreeslots++] = idx;
		return;
	}
	if (ret) {
		D.freeslots[D.nfreeslots++] = idx;
		if (cm) {
			struct potad_desc pattern;

			memset(&pattern, 0xab, sizeof(pattern));
			if (memcmp(&s->cm.d, &pattern, sizeof(pattern)))
				diff_err("failed alloc_desc wrote the descriptor");
		}
		if (ret == -ENOSPC)
			D.enospc++;
		if (ret == -EBUSY) {
			struct potad_stats after;

			/* Only -ENOSPC counts in alloc_failures. */
			get_stats(&D.pa, &after);
			if (after.alloc_failures != before.alloc_failures)
				diff_err("-EBUSY changed alloc_failures");
			D.ebusy++;
		}
		return;
	}
	/* Success: the exact block, and a proper descriptor. */
	if (d->start != want_start || d->order != order ||
	    d->nr_live != 1UL << order || d->potad != &D.pa ||
	    d->owner != s || d->state != POTAD_DESC_LIVE ||
	    d->type != (cm ? &t_cm : &t_big)) {
		diff_err("descriptor start %#lx (want %#lx) order %u nr_live %lu state %#x potad %s owner %s type %s",
			 d->start, want_start, d->order, d->nr_live, d->state,
			 d->potad == &D.pa ? "ok" : "WRONG",
			 d->owner == s ? "ok" : "WRONG",
			 d->type == (cm ? &t_cm : &t_big) ? "ok" : "WRONG");
		return;
	}
	s->kind = cm ? KIND_CM : KIND_SLAB;
	s->d = d;
	s->start = d->start;
	s->order = order;
	s->nr_live = 1UL << order;
	s->pat = rng_next(&D.r);
	if (!cm) {
		size_t i;
		bool zero = true;

		s->big = container_of(d, struct big_desc, d);
		for (i = 0; i < sizeof(s->big->head); i++)
			zero &= !((u8 *)s->big->head)[i];
		for (i = 0; i < sizeof(s->big->tail); i++)
			zero &= !s->big->tail[i];
		if (!zero)
			diff_err("caller part of the descriptor not zeroed");
		memset(s->big->head, s->pat, sizeof(s->big->head));
		memset(s->big->tail, ~s->pat, sizeof(s->big->tail));
	} else if (!cm_canaries_ok(&s->cm)) {
		diff_err("alloc_desc wrote outside struct potad_desc");
	}
	off = d->start - D.base;
	for (unsigned long i = off; i < off + s->nr_live; i++)
		m_set(i, U_ALLOC, idx);
	m_update(off, off + s->nr_live - 1);
	D.nr_allocs++;
	slot_live(idx);
}

/* Free [start, start + n) of slot @idx; @want is the expected result. */
static void do_free_range(int idx, unsigned long start, unsigned long n,
			  long want)
{
	struct slot *s = &D.slots[idx];
	long ret;

	set_op("potad_free_range(block %#lx order %u nr_live %lu, %#lx, %lu, GFP_KERNEL)",
	       s->start, s->order, s->nr_live, start, n);
	if (want)
		D.exp_warn = 1;
	if (!slot_pattern_ok(s)) {
		diff_err("descriptor container corrupted");
		return;
	}
	ret = potad_free_range(&D.pa, s->d, start, n, GFP_KERNEL);
	if (ret != want) {
		diff_err("returned %s, expected %s", errname(ret), errname(want));
		return;
	}
	if (ret)
		return;
	m_free_units(start - D.base, n);
	D.nr_frees++;
	s->nr_live -= n;
	if (!s->nr_live)
		slot_released(idx);
}

/* A random run of units still owned by slot @idx: [*a, *b). */
/* Is unit @u (relative) allocated to slot @idx? */
static bool owned(unsigned long u, int idx)
{
	return (D.st[u] == U_ALLOC || D.st[u] == U_ALLOC_RET) &&
	       D.owner[u] == idx;
}

/* A random run of units still owned by slot @idx: [*a, *b). */
static void owned_run(int idx, unsigned long *a, unsigned long *b)
{
	struct slot *s = &D.slots[idx];
	unsigned long lo = s->start - D.base, hi = lo + (1UL << s->order);
	unsigned long u = lo + rng_below(&D.r, hi - lo), i;

	for (i = 0; i < hi - lo; i++) {
		if (owned(u, idx))
			break;
		u = u + 1 == hi ? lo : u + 1;
	}
	*a = u;
	*b = u + 1;
	while (*a > lo && owned(*a - 1, idx))
		(*a)--;
	while (*b < hi && owned(*b, idx))
		(*b)++;
}

static void op_free(void)
{
	int idx = D.live[rng_below(&D.r, D.nlive)];
	struct slot *s = &D.slots[idx];
	long ret;

	if (s->nr_live != 1UL << s->order) {
		if (rng_pct(&D.r, 30)) {
			set_op("potad_free(partly freed block %#lx order %u nr_live %lu)",
			       s->start, s->order, s->nr_live);
			D.exp_warn = 1;
			ret = potad_free(&D.pa, s->d);
			if (ret != -EINVAL)
				diff_err("returned %s, expected -EINVAL",
					 errname(ret));
		} else {
			unsigned long a, b;

			owned_run(idx, &a, &b);
			do_free_range(idx, D.base + a, b - a, 0);
		}
		return;
	}
	set_op("potad_free(block %#lx order %u %s)", s->start,
	       s->order, s->kind == KIND_CM ? "caller-mem" : "slab");
	if (!slot_pattern_ok(s)) {
		diff_err("descriptor container corrupted");
		return;
	}
	/* A free never fails, even when the index cannot get a node. */
	if (D.memory && rng_pct(&D.r, 5)) {
		struct potad_stats st;
		bool hole;

		potad_fail_alloc_after = 0;
		ret = potad_free(&D.pa, s->d);
		/* The node allocation was made, and failed. */
		hole = potad_fail_alloc_after < 0;
		potad_fail_alloc_after = -1;
		D.holes += hole;
		potad_get_stats(&D.pa, &st);
		if (hole && !st.index_holes)
			diff_err("a placeholder was left but not counted");
	} else {
		ret = potad_free(&D.pa, s->d);
	}
	if (ret) {
		diff_err("returned %s", errname(ret));
		return;
	}
	m_free_units(s->start - D.base, 1UL << s->order);
	D.nr_frees++;
	slot_released(idx);
}

/*
 * potad_free_parts() of up to four runs, two of them the halves of one
 * block's run, and sometimes the last one again (freed twice: the batch
 * stops there, with one warning, and the runs before it are freed).
 */
static void op_free_parts(void)
{
	struct potad_part parts[5];
	int idx[5], i, j, n = 0, want;
	unsigned long a, b, m;
	unsigned int got;
	bool twice;

	while (n < 4 && D.nlive) {
		i = D.live[rng_below(&D.r, D.nlive)];
		for (j = 0; j < n && idx[j] != i; j++)
			;
		if (j < n)
			break;
		owned_run(i, &a, &b);
		if (b - a > 1 && n < 3 && rng_pct(&D.r, 50)) {
			m = a + 1 + rng_below(&D.r, b - a - 1);
			idx[n] = i;
			parts[n++] = (struct potad_part){ D.slots[i].d, D.base + a,
							  m - a };
			a = m;
		}
		idx[n] = i;
		parts[n++] = (struct potad_part){ D.slots[i].d, D.base + a,
						  b - a };
	}
	if (!n)
		return;
	/* Even after the block's last units: released after the lock. */
	twice = rng_pct(&D.r, 10);
	want = n;
	if (twice) {
		parts[n] = parts[n - 1];
		idx[n] = idx[n - 1];
		n++;
		D.exp_warn = 1;
	}
	set_op("potad_free_parts(%d runs, first block %#lx %#lx+%lu%s)", n,
	       D.slots[idx[0]].start, parts[0].start, parts[0].nr,
	       twice ? ", last freed twice" : "");
	got = potad_free_parts(&D.pa, parts, n);
	if (got != (unsigned int)want) {
		diff_err("freed %u runs, expected %d", got, want);
		return;
	}
	for (i = 0; i < want; i++) {
		struct slot *s = &D.slots[idx[i]];

		m_free_units(parts[i].start - D.base, parts[i].nr);
		D.nr_frees++;
		s->nr_live -= parts[i].nr;
		if (!s->nr_live)
			slot_released(idx[i]);
	}
}

static void op_free_range(void)
{
	int idx = D.live[rng_below(&D.r, D.nlive)];
	struct slot *s = &D.slots[idx];
	unsigned long size = 1UL << s->order, lo = s->start - D.base;
	unsigned int r = rng_below(&D.r, 100);
	unsigned long a, b, i;

	if (r < 15) {
		op_free_parts();
		return;
	}
	if (r < 65) {
		owned_run(idx, &a, &b);
		if (rng_pct(&D.r, 70)) {
			unsigned long x = a + rng_below(&D.r, b - a);
			unsigned long y = x + 1 + rng_below(&D.r, b - x);

			a = x;
			b = y;
		}
		do_free_range(idx, D.base + a, b - a, 0);
		return;
	}
	if (r < 88) {
		/*
		 * Any sub-range: a unit the block freed already makes it fail,
		 * whether it is free, retired, withdrawn or another block's.
		 */
		bool freed = false;

		a = lo + rng_below(&D.r, size);
		b = a + 1 + rng_below(&D.r, lo + size - a);
		for (i = a; i < b; i++)
			freed |= !owned(i, idx);
		do_free_range(idx, D.base + a, b - a, freed ? -EINVAL : 0);
		D.refree += freed;
		return;
	}
	if (r < 92) {
		/* Units the block freed that another block holds since. */
		unsigned long n = min(size, 4096UL), u = rng_below(&D.r, size);

		for (i = 0; i < n; i++, u = (u + 1) % size)
			if ((D.st[lo + u] == U_ALLOC || D.st[lo + u] == U_ALLOC_RET) &&
			    D.owner[lo + u] != idx)
				break;
		if (i == n)
			return;
		a = lo + u;
		b = a + 1 + rng_below(&D.r, min(lo + size - a, 4UL));
		do_free_range(idx, D.base + a, b - a, -EINVAL);
		D.refree_reused++;
		return;
	}
	/* Outside the block or empty. */
	switch (rng_below(&D.r, 4)) {
	case 0:
		do_free_range(idx, s->start, 0, -EINVAL);
		break;
	case 1:
		do_free_range(idx, s->start + size, 1, -EINVAL);
		break;
	case 2:
		do_free_range(idx, s->start, size + 1 + rng_below(&D.r, 4),
			      -EINVAL);
		break;
	default:
		do_free_range(idx, s->start - 1, 2, -EINVAL);
		break;
	}
}

/* The shared rule for operations that may allocate under injection. */
static bool check_injected(long ret, long want, long inj0, bool inject)
{
	if (inject && potad_injected_failures != inj0) {
		if (ret != -ENOMEM)
			return diff_err("returned %s after an allocation failure, expected -ENOMEM",
					errname(ret));
		D.exp_warn = 0;
		return false;	/* nothing happened */
	}
	if (ret == -ENOMEM)
		return diff_err("-ENOMEM without an allocation failure");
	if (ret != want)
		return diff_err("returned %s, expected %s", errname(ret),
				errname(want));
	return !ret;
}

static void op_retire(void)
{
	unsigned int r = rng_below(&D.r, 100);
	unsigned long unit, off = 0;
	bool inject = rng_pct(&D.r, 3);
	long want, ret, inj0 = potad_injected_failures;
	gfp_t gfp = rand_gfp();
	u8 state;

	if (r < 70) {
		unit = D.base + rand_off();
	} else if (r < 85) {
		unit = m_random_unit(U_RETIRED, U_ALLOC_RET);
		unit = unit == ULONG_MAX ? D.base : D.base + unit;
	} else if (r < 95) {
		unit = m_random_unit(U_ALLOC, U_ALLOC);
		unit = unit == ULONG_MAX ? D.base : D.base + unit;
	} else {
		unit = D.base ? D.base - 1 - rng_below(&D.r, D.base > 8 ? 8 : D.base) :
			D.base + D.span + rng_below(&D.r, 100);
	}
	state = m_in_space(unit, 1, &off) ? D.st[off] : U_ABSENT;
	/* Don't retire everything: retired units only go away by withdraw. */
	if ((state == U_FREE || state == U_ALLOC) &&
	    D.cnt[U_RETIRED] + D.cnt[U_ALLOC_RET] > D.wsize / 100)
		return;
	set_op("potad_retire(%#lx (%s)%s)", unit,
	       ustate_name[state], inject ? ", allocation fails" : "");
	switch (state) {
	case U_ABSENT:
		/* Outside the space: a bug; withdrawn: a race, not warned. */
		if (m_in_space(unit, 1, &off)) {
			want = -ENOENT;
		} else {
			want = -EINVAL;
			D.exp_warn = 1;
		}
		break;
	case U_ALLOC_RET:
	case U_RETIRED:
		want = -EALREADY;
		break;
	default:
		want = 0;
	}
	if (inject)
		potad_fail_alloc_after = 0;
	ret = potad_retire(&D.pa, unit, gfp, NULL);
	potad_fail_alloc_after = -1;
	if (!check_injected(ret, want, inj0, inject))
		return;
	if (state == U_FREE) {
		m_set(off, U_RETIRED, -1);
		m_update(off, off);
	} else {
		m_set(off, U_ALLOC_RET, D.owner[off]);
	}
}

/* A random sub-range of length <= @max of the run of @a/@b units at @u. */
static void pick_run(unsigned long u, u8 a, u8 b, unsigned long max,
		     unsigned long *start, unsigned long *n)
{
	unsigned long lo = u, hi = u + 1, x, y;

	while (lo > 0 && (D.st[lo - 1] == a || D.st[lo - 1] == b))
		lo--;
	while (hi < D.span && (D.st[hi] == a || D.st[hi] == b))
		hi++;
	if (rng_pct(&D.r, 30) && hi - lo <= max) {
		*start = lo;
		*n = hi - lo;
		return;
	}
	x = lo + rng_below(&D.r, hi - lo);
	y = x + 1 + rng_below(&D.r, min(hi - x, max));
	*start = x;
	*n = y - x;
}

/* A random range: valid-looking (inside the space) or not. */
static void rand_range(unsigned long *start, unsigned long *n)
{
	switch (rng_below(&D.r, 6)) {
	case 0:
		*start = D.base + rand_off();
		*n = 0;
		return;
	case 1:
		*start = D.base + D.span - rng_below(&D.r, 8);
		*n = 1 + rng_below(&D.r, 16);
		return;
	case 2:
		*start = D.base ? D.base - 1 - rng_below(&D.r, 4) : ULONG_MAX - 3;
		*n = 1 + rng_below(&D.r, 16);
		return;
	case 3:
		*start = D.base + rand_off();
		*n = ULONG_MAX - rng_below(&D.r, 4);
		return;
	}
	*start = D.base + rand_off();
	*n = 1 + rng_below(&D.r, 128);
}

static void op_add(void)
{
	unsigned long start, n, off, i, u;
	bool inject = rng_pct(&D.r, 3);
	long want, ret, inj0 = potad_injected_failures;
	unsigned int r = rng_below(&D.r, 100);

	u = r < 60 ? m_random_unit(U_ABSENT, U_ABSENT) : ULONG_MAX;
	if (u != ULONG_MAX) {
		pick_run(u, U_ABSENT, U_ABSENT, 256, &start, &n);
		start += D.base;
	} else {
		rand_range(&start, &n);
	}
	set_op("potad_add_range(%#lx, %lu)%s", start, n,
	       inject ? " allocation fails" : "");
	if (!m_in_space(start, n, &off)) {
		want = -EINVAL;
		D.exp_warn = 1;
	} else if (!m_all(off, n, U_ABSENT)) {
		want = -EEXIST;
		D.exp_warn = 1;
	} else {
		want = 0;
	}
	if (inject)
		potad_fail_alloc_after = 0;
	ret = potad_add_range(&D.pa, start, n);
	potad_fail_alloc_after = -1;
	if (!check_injected(ret, want, inj0, inject))
		return;
	for (i = off; i < off + n; i++)
		m_set(i, U_FREE, -1);
	m_update(off, off + n - 1);
}

static void op_withdraw(void)
{
	unsigned long start, n, off, i, u;
	bool inject = rng_pct(&D.r, 3);
	long want, ret, inj0 = potad_injected_failures;
	unsigned int r = rng_below(&D.r, 100);

	u = ULONG_MAX;
	if (r < 8) {
		/* Free/retired units around an allocated retired unit. */
		u = m_random_unit(U_ALLOC_RET, U_ALLOC_RET);
		if (u != ULONG_MAX) {
			unsigned long a = u, b = u + 1;

			while (a > 0 && (D.st[a - 1] == U_FREE || D.st[a - 1] == U_RETIRED) &&
			       rng_pct(&D.r, 90))
				a--;
			while (b < D.span && (D.st[b] == U_FREE || D.st[b] == U_RETIRED) &&
			       rng_pct(&D.r, 90))
				b++;
			start = D.base + a;
			n = b - a;
			goto chosen;
		}
	}
	if (r < 60) {
		/* Prefer retired units: withdrawing is how they go away. */
		if (rng_pct(&D.r, D.draining ? 95 : 30))
			u = m_random_unit(U_RETIRED, U_RETIRED);
		if (u == ULONG_MAX)
			u = m_random_unit(U_FREE, U_RETIRED);
	}
	if (u != ULONG_MAX) {
		pick_run(u, U_FREE, U_RETIRED, 256, &start, &n);
		start += D.base;
	} else {
		rand_range(&start, &n);
	}
chosen:
	set_op("potad_withdraw_range(%#lx, %lu)%s", start, n,
	       inject ? " allocation fails" : "");
	want = 0;
	if (!m_in_space(start, n, &off)) {
		want = -EINVAL;
	} else {
		for (i = off; i < off + n; i++) {
			if (D.st[i] == U_ABSENT) {
				want = -EINVAL;
				break;
			}
			if (D.st[i] == U_ALLOC || D.st[i] == U_ALLOC_RET)
				want = -EBUSY;
		}
	}
	if (want == -EINVAL)
		D.exp_warn = 1;
	/* Keep enough of the space present. */
	if (!want && m_absent() + n > D.wsize / 2)
		return;
	if (inject)
		potad_fail_alloc_after = 0;
	ret = potad_withdraw_range(&D.pa, start, n);
	potad_fail_alloc_after = -1;
	if (!check_injected(ret, want, inj0, inject))
		return;
	for (i = off; i < off + n; i++)
		m_set(i, U_ABSENT, -1);
	m_update(off, off + n - 1);
}

static void op_misc(void)
{
	struct potad_type unreg = { .name = "unregistered", .size = 128 };
	struct potad_stats b1, b2;
	struct cm_desc tmp;
	long ret, want = -EINVAL;
	int which = rng_below(&D.r, 9);

	D.exp_warn = 1;
	get_stats(&D.pb, &b1);
	switch (which) {
	case 0:
	case 1:
		if (!D.ndead)
			goto foreign;
		{
			struct slot *s = &D.slots[D.dead[rng_below(&D.r, D.ndead)]];

			set_op("%s(dead caller-mem descriptor of block %#lx)",
			       which ? "potad_free_range" : "potad_free",
			       s->start);
			ret = which ? potad_free_range(&D.pa, &s->cm.d, s->start, 1, GFP_KERNEL) :
				      potad_free(&D.pa, &s->cm.d);
			if (s->cm.released != 1)
				diff_err("release op called again");
		}
		break;
	case 2:
foreign:
		set_op("potad_free(descriptor of another instance)");
		ret = potad_free(&D.pa, D.foreign);
		break;
	case 3:
		set_op("potad_free_range(descriptor of another instance, GFP_KERNEL)");
		ret = potad_free_range(&D.pa, D.foreign, D.foreign->start, 1, GFP_KERNEL);
		break;
	case 4:
		if (!D.nlive)
			goto foreign;
		set_op("potad_free(other instance, a live descriptor of this one)");
		ret = potad_free(&D.pb, D.slots[D.live[rng_below(&D.r, D.nlive)]].d);
		break;
	case 5:
		set_op("potad_alloc(unregistered type)");
		ret = RESULT(potad_alloc(&D.pa, rng_pct(&D.r, 50) ? &unreg : NULL,
					 0, NULL, GFP_KERNEL));
		break;
	case 6:
		set_op("potad_alloc(caller-mem type) / potad_alloc_desc(slab type, GFP_KERNEL)");
		if (rng_pct(&D.r, 50))
			ret = RESULT(potad_alloc(&D.pa, &t_cm, 0, NULL, GFP_KERNEL));
		else
			ret = potad_alloc_desc(&D.pa, &tmp.d, &t_big, POTAD_ANY, 0,
					       NULL, GFP_KERNEL);
		break;
	case 8:
		/* A caller-mem descriptor still live: overwriting would leak. */
		for (ret = 0; ret < D.nlive; ret++)
			if (D.slots[D.live[ret]].kind == KIND_CM)
				break;
		if (ret == D.nlive)
			goto foreign;
		{
			struct slot *s = &D.slots[D.live[ret]];
			struct potad_desc copy = s->cm.d;

			set_op("potad_alloc_desc(live descriptor of block %#lx)",
			       s->start);
			ret = potad_alloc_desc(&D.pa, &s->cm.d, &t_cm, POTAD_ANY,
					       0, NULL, GFP_KERNEL);
			if (memcmp(&copy, &s->cm.d, sizeof(copy)))
				diff_err("the live descriptor was written");
			D.alloc_live++;
		}
		break;
	default:
		set_op("potad_alloc_at(POTAD_ANY)");
		ret = RESULT(potad_alloc_at(&D.pa, &t_big, POTAD_ANY, 0, NULL,
					    GFP_KERNEL));
		break;
	}
	if (ret != want)
		diff_err("returned %s, expected %s", errname(ret), errname(want));
	get_stats(&D.pb, &b2);
	stats_equal(&b1, &b2, __FILE__, __LINE__, "other instance");
}

/* ---- driver ---- */

static void d_free_everything(void)
{
	while (D.nlive && !D.failed) {
		int idx = D.live[D.nlive - 1];
		struct slot *s = &D.slots[idx];

		D.op++;
		if (s->nr_live == 1UL << s->order) {
			set_op("final potad_free(block %#lx order %u)",
			       s->start, s->order);
			if (potad_free(&D.pa, s->d)) {
				diff_err("final free failed");
				break;
			}
			m_free_units(s->start - D.base, 1UL << s->order);
			D.nr_frees++;
			slot_released(idx);
		} else {
			unsigned long a, b;

			owned_run(idx, &a, &b);
			do_free_range(idx, D.base + a, b - a, 0);
		}
		d_check_stats("after a final free");
	}
}

/* Withdraw and re-add every present run: retired units are forgotten. */
static void d_refresh_ranges(void)
{
	unsigned long i = 0;

	while (i < D.span && !D.failed) {
		unsigned long j, u;

		if (D.st[i] == U_ABSENT) {
			i++;
			continue;
		}
		for (j = i; j < D.span && D.st[j] != U_ABSENT; j++)
			;
		D.op++;
		set_op("final withdraw and add of [%#lx, %#lx)",
		       D.base + i, D.base + j);
		if (potad_withdraw_range(&D.pa, D.base + i, j - i) ||
		    potad_add_range(&D.pa, D.base + i, j - i)) {
			diff_err("failed");
			return;
		}
		for (u = i; u < j; u++)
			m_set(u, U_FREE, -1);
		m_update(i, j - 1);
		i = j;
		d_check_stats("after a final withdraw and add");
	}
}

static void run_differential(bool wide, bool memory)
{
	static const unsigned int req_orders[] = { 3, 5, 7, 8, 9, 10, 63 };
	static const unsigned int wide_orders[] = { 9, 12, 16, 63 };
	unsigned long pos, i, ops_done;
	unsigned int req, k;
	char opdesc[200];
	uint64_t t0 = now_ns();
	int j;

	memset(&D, 0, sizeof(D));
	D.seed = env_u64("POTAD_SEED", now_ns() ^ ((uint64_t)getpid() << 32));
	D.nops = env_u64("POTAD_OPS", 1000000);
	D.check_every = env_u64("POTAD_CHECK_EVERY", wide ? 5000 : 1000);
	D.name = wide ? "differential_wide" :
		 memory ? "differential_memory" : "differential";
	D.memory = memory;
	if (!D.check_every)
		D.check_every = 1;
	D.r.s = D.seed;
	D.opdesc = opdesc;

	if (!wide) {
		D.span = 2048 + rng_below(&D.r, 3000);
		req = req_orders[rng_below(&D.r, ARRAY_SIZE(req_orders))];
		D.nwin = 1;
		D.win_lo[0] = 0;
		D.win_hi[0] = D.span;
	} else {
		/* 3 or 4 levels of hierarchy, three windows of activity. */
		D.span = (1UL << 18) + rng_below(&D.r, 1UL << 18);
		req = wide_orders[rng_below(&D.r, ARRAY_SIZE(wide_orders))];
		D.nwin = 3;
		for (j = 0; j < 3; j++) {
			unsigned long len = 2048 + rng_below(&D.r, 2048);
			unsigned long lo = j == 0 ? 0 : j == 2 ? D.span - len :
					   rng_below(&D.r, D.span - 3 * 4096) + 4096;

			D.win_lo[j] = lo;
			D.win_hi[j] = lo + len;
		}
	}
	D.max_order = min_t(unsigned int, req, ilog2(D.span));
	D.base = (rng_pct(&D.r, 25) ? 1UL << 50 : 0) +
		 (rng_below(&D.r, 4) << D.max_order);
	tap_info("# %s: seed %llu, %lu ops, space [%#lx, +%lu) max_order %u (asked %u)\n",
		 D.name, (unsigned long long)D.seed, D.nops, D.base, D.span,
		 D.max_order, req);

	types_setup();
	REQUIRE_EQ(potad_init(&D.pa, "differential",
			      memory ? POTAD_MEMORY : POTAD_ABSTRACT, 12, D.base,
			      D.span, req), 0);
	REQUIRE_EQ(potad_init(&D.pb, "foreign", POTAD_ABSTRACT, 0, 0, 64, 6),
		   0);
	REQUIRE_EQ(potad_add_range(&D.pb, 0, 64), 0);
	D.foreign = potad_alloc(&D.pb, &t_big, 2, NULL, GFP_KERNEL);
	REQUIRE(!IS_ERR(D.foreign));

	D.st = calloc(D.span, 1);
	D.owner = malloc(D.span * sizeof(int));
	D.cnt[U_ABSENT] = D.span;
	for (k = 0; k <= D.max_order; k++) {
		D.nb[k] = D.span >> k;
		D.full[k] = calloc(DIV_ROUND_UP(D.nb[k], 64) + 1, 8);
		D.canon[k] = calloc(DIV_ROUND_UP(D.nb[k], 64) + 1, 8);
	}
	for (j = 0; j < D.nwin; j++)
		D.wsize += D.win_hi[j] - D.win_lo[j];
	D.nslots = D.wsize + 512 * D.nwin + NDEAD + 8;
	D.slots = calloc(D.nslots, sizeof(*D.slots));
	D.live = malloc(D.nslots * sizeof(int));
	D.freeslots = malloc(D.nslots * sizeof(int));
	for (j = D.nslots - 1; j >= 0; j--)
		D.freeslots[D.nfreeslots++] = j;

	/* Initial ranges, with holes, in the windows. */
	for (j = 0; j < D.nwin; j++) {
		for (pos = D.win_lo[j]; pos < D.win_hi[j]; ) {
			unsigned long len = 1 + rng_below(&D.r, 400);

			len = min(len, D.win_hi[j] - pos);
			if (rng_pct(&D.r, 75)) {
				REQUIRE_EQ(potad_add_range(&D.pa, D.base + pos,
							   len), 0);
				for (i = pos; i < pos + len; i++)
					m_set(i, U_FREE, -1);
			}
			pos += len;
		}
	}
	m_update(0, D.span - 1);
	set_op("initial ranges");
	if (!d_full_check())
		goto out;

	for (D.op = 0; D.op < D.nops && !D.failed; D.op++) {
		unsigned long alloc = D.cnt[U_ALLOC] + D.cnt[U_ALLOC_RET];
		unsigned long total = m_total() ? m_total() : 1;
		unsigned int w[OP_NR], sum = 0, x;
		long w0 = potad_warn_count;
		int op;

		/* The work item that replaces index placeholders. */
		if (D.memory && rng_pct(&D.r, 1))
			potad_shim_run_work();

		/*
		 * Phases: mixed; draining (frees, holes filled, retired
		 * units withdrawn and added back: big blocks merge); filling.
		 */
		unsigned int phase = D.op / 20000 % 3;
		unsigned int adiv = phase == 1 ? 10 : 1, fdiv = phase == 2 ? 5 : 1;

		D.draining = phase == 1;
		w[OP_ALLOC] = (20 + 300 * (total - alloc) / total) / adiv;
		w[OP_ALLOC_AT] = 100 / adiv;
		w[OP_ALLOC_DESC] = 70 / adiv;
		w[OP_FREE] = D.nlive ? (60 + 400 * alloc / total) / fdiv : 0;
		w[OP_FREE_RANGE] = D.nlive ? 100 / fdiv : 0;
		w[OP_RETIRE] = D.draining ? 0 : 20;
		w[OP_ADD] = D.draining ? (m_absent() ? 150 : 0) :
			    m_absent() > D.wsize / 8 ? 60 : 15;
		w[OP_WITHDRAW] = D.draining ? (D.cnt[U_RETIRED] ? 60 : 0) : 50;
		w[OP_MISC] = 10;
		for (op = 0; op < OP_NR; op++)
			sum += w[op];
		x = rng_below(&D.r, sum);
		for (op = 0; x >= w[op]; op++)
			x -= w[op];

		D.exp_warn = 0;
		set_op("%s (skipped)", op_name[op]);
		switch (op) {
		case OP_ALLOC:
		case OP_ALLOC_AT:
		case OP_ALLOC_DESC:
			op_alloc(op);
			break;
		case OP_FREE:
			op_free();
			break;
		case OP_FREE_RANGE:
			op_free_range();
			break;
		case OP_RETIRE:
			op_retire();
			break;
		case OP_ADD:
			op_add();
			break;
		case OP_WITHDRAW:
			op_withdraw();
			break;
		default:
			op_misc();
			break;
		}
		snprintf(D.hist[D.op % HIST], 200, "%lu: %s", D.op, D.opdesc);
		D.stat_ops[op]++;
		cur_expected_warns += potad_warn_count - w0;
		if (!D.failed && potad_warn_count - w0 != D.exp_warn)
			diff_err("%ld warnings, expected %ld (last: %s)",
				 potad_warn_count - w0, D.exp_warn,
				 potad_last_warn_msg);
		if (D.failed)
			break;
		d_check_stats("after the operation");
		D.occ[U_ABSENT] += D.cnt[U_ABSENT];
		D.occ[U_FREE] += D.cnt[U_FREE];
		D.occ[U_ALLOC] += D.cnt[U_ALLOC] + D.cnt[U_ALLOC_RET];
		D.occ[U_RETIRED] += D.cnt[U_RETIRED] + D.cnt[U_ALLOC_RET];
		D.top_free += D.nfree[D.max_order];
		if (!D.failed && (D.op + 1) % D.check_every == 0)
			d_full_check();
	}
	ops_done = D.op;
	if (!D.failed) {
		set_op("final check");
		d_full_check();
	}
	d_free_everything();
	if (!D.failed) {
		set_op("check after freeing everything");
		d_full_check();
	}
	d_refresh_ranges();
	if (!D.failed) {
		struct potad_stats st;

		set_op("check after forgetting retired units");
		d_full_check();
		get_stats(&D.pa, &st);
		if (st.units_free != st.units_total || st.units_retired ||
		    st.units_allocated)
			diff_err("not everything is free at the end");
	}
	printf("#   %lu ops in %.1f s:", ops_done, (now_ns() - t0) / 1e9);
	for (j = 0; j < OP_NR; j++)
		printf(" %s %lu", op_name[j], D.stat_ops[j]);
	printf("\n#   end: %lu allocs, %lu frees, %lu -ENOSPC, %lu -EBUSY\n",
	       D.nr_allocs, D.nr_frees, D.enospc, D.ebusy);
	tap_info("#   refused: %lu partial frees of freed units, %lu of them held by another block; %lu allocations into a live descriptor\n",
		 D.refree, D.refree_reused, D.alloc_live);
	/* The cases must have been generated, not just allowed. */
	if (!D.failed && ops_done >= 100000 &&
	    (!D.refree_reused || !D.alloc_live))
		diff_err("no refused reuse generated in %lu ops", ops_done);
	if (ops_done)
		tap_info("#   mean units: %.0f absent, %.0f free, %.0f allocated, %.0f retired; %.2f free max-order blocks\n",
			 D.occ[U_ABSENT] / ops_done, D.occ[U_FREE] / ops_done,
			 D.occ[U_ALLOC] / ops_done, D.occ[U_RETIRED] / ops_done,
			 D.top_free / ops_done);
	if (D.memory) {
		struct potad_stats st;

		potad_shim_run_work();
		get_stats(&D.pa, &st);
		if (st.index_holes)
			diff_err("%lu placeholders left after the work item",
				 st.index_holes);
		tap_info("#   index: %lu placeholders left by frees that could not get a node\n",
			 D.holes);
	}
out:
	if (D.failed) {
		/* The states diverged: don't trust the allocator to clean up. */
		for (j = 0; j < D.nlive; j++) {
			struct slot *s = &D.slots[D.live[j]];

			/* Unless the allocator freed it (it's wrong anyway). */
			if (s->kind == KIND_SLAB && !freed_memory(s->big))
				kmem_cache_free(t_big.cache, s->big);
		}
		cur_ignore_warns = true;
		cur_skip_leak_check = true;
	}
	potad_free(&D.pb, D.foreign);
	potad_destroy(&D.pb);
	potad_destroy(&D.pa);
	types_teardown();
	for (k = 0; k <= D.max_order; k++) {
		free(D.full[k]);
		free(D.canon[k]);
	}
	free(D.st);
	free(D.owner);
	free(D.slots);
	free(D.live);
	free(D.freeslots);
}

static void test_differential(void)
{
	run_differential(false, false);
}

static void test_differential_wide(void)
{
	run_differential(true, false);
}

static void test_differential_memory(void)
{
	run_differential(false, true);
}
