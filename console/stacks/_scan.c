/* The plain-dump loop of reader.py (Reader._plain, _block, _fast) in C, on the file's bytes.

   Scanner(reader).feed(chunk) / .finish() take the same steps as Reader._plain on the same
   chunks: cut the pending bytes before the last "\ngoroutine ", split them into goroutine
   blocks, and count every block the Python fast path would take (a header, then function /
   tab-led location pairs) into its group here: a hash table keyed by the wait state and the
   location lines' bytes, with the count, the longest wait and the first ids kept until the
   next flush. Everything else goes back to the reader's own Python methods, decoded as the
   Python path decodes it (UTF-8, errors replaced):
     - a block the fast path would not take, or one this code is not sure of (a non-ASCII
       id, an id past 2^28, a wait that does not fit 64 bits): Reader._block(text);
     - lines before the first goroutine, long stretches without one: Reader._lines(text);
     - a stack not in the table: Reader._fast_group (found by its key, or made), then kept;
     - a new dump (no dump open, an id seen twice): Reader._new_dump; wait states:
       Reader._state_of (kept here by their bytes);
     - a lock waiter: LockTracker.goroutine, unless its lock line is the one its group's
       last waiter had: then it is counted here into the Counter goroutine() returned.
   What goroutine() does for any other tracked goroutine (the pointers in the arguments of
   its kept lines into LockTracker.holders, at most four per address, none past the cap) is
   done here, on the same dict, in the same order.
   Before any call that may read or change the reader the counts are flushed to the Python
   objects (Group.count, .max_wait, Dump.goroutines, Reader._line, the lock Counters), and
   after it the reader's state is read back (_line, _dump, _closed, _g/_pp, _by, _seen.bits),
   so either side may go next. Every index is bounds-checked; nothing here trusts the input. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#define STALL 4
#define MAX_STATES 65536
#define GID_LIMIT (1LL << 28)           /* _Ids keeps ids past this in a set: Python's job */

static const char GOROUTINE[] = "goroutine ";   /* 10 bytes */

typedef struct {
    const char *p;
    Py_ssize_t n;
} Seg;

typedef struct {
    uint64_t hash;
    Py_ssize_t state_id;
    char *key;                  /* the location lines joined by '\n' */
    Py_ssize_t keylen;
    PyObject *grp, *ids;        /* the Group, its ids list */
    PyObject *counter;          /* lock waiters: the Counter a repeated lock line goes to */
    char *last;                 /* ... that lock line */
    Py_ssize_t lastlen;
    long long pcount, plock;    /* counted here, not yet in the Python objects */
    long long pmax;             /* the longest wait counted here, -1: none */
    long long gen;              /* the tracker's reorders when lock_line was read */
    int touched, track, is_lock;
    Py_ssize_t lock_line;       /* index into the function lines, -1: none */
    int args_read;              /* arg_lines read */
    Py_ssize_t nargs, args[8];  /* the function lines whose pointers are kept (not a lock waiter) */
    Py_ssize_t dump;            /* Group.dump */
    PyObject *dump_obj, *k;     /* Group.dump and id(Group) as ints */
} Entry;

/* The tracker's holders dict, (dump, pointer) -> its list, indexed here by bytes. */
typedef struct {
    uint64_t hash;
    Py_ssize_t dump;
    char *v;
    Py_ssize_t vn;
    PyObject *list;
} HEnt;

typedef struct {
    uint64_t hash;
    char *text;
    Py_ssize_t n;
    PyObject *st;               /* (state, wait) as Reader._state_of gives it */
    Py_ssize_t state_id;
    long long wait;
} StateEnt;

typedef struct {
    PyObject_HEAD
    PyObject *reader, *locks;
    char *buf;
    Py_ssize_t len, cap;
    int has_chunk, stalled, finished, busy, gc_was;
    Py_ssize_t parked;          /* bytes read after the pending ones, waiting for step() */
    long long line;
    int closed, py_open, dump_ok, synced;
    PyObject *dump, *by, *bits;
    long long dump_pending;
    long long lock_gen;
    Entry **tab;
    size_t tabcap, tabn;
    Entry **touched;
    size_t ntouched, touchedcap;
    StateEnt *states;
    size_t scap, sn;
    PyObject *state_ids;        /* state str -> id */
    PyObject *holders;          /* LockTracker.holders */
    Py_ssize_t max_addresses;
    int holders_complete;       /* every key of holders is in htab (it is full: no more keys) */
    HEnt *htab;
    size_t hcap, hn;
    Seg *segs;
    Py_ssize_t segcap;
} Scanner;

static PyObject *s_holders, *s_max_addresses, *s_full, *s_arg_lines, *s_group_dump;
static PyObject *s_line, *s_dump, *s_closed, *s_g, *s_pp, *s_by, *s_seen, *s_bits, *s_kind,
    *s_goroutines, *s_count, *s_max_wait, *s_ids, *s_track, *s_locks, *s_reorders, *s_lines,
    *s_block, *s_finish, *s_new_dump, *s_fast_group, *s_state_of, *s_goroutine, *s_lock_line,
    *s_kind_goroutines, *s_lazy, *s_empty, *s_repeat_why;

/* ---- small helpers ------------------------------------------------------------------------ */

static inline uint64_t mix(uint64_t h, uint64_t w)
{
    h ^= w;
    h *= 0x9E3779B97F4A7C15ULL;
    return h ^ (h >> 32);
}

/* murmur3's finalizer: every input bit to the low bits the tables index by */
static inline uint64_t fmix(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xFF51AFD7ED558CCDULL;
    h ^= h >> 33;
    h *= 0xC4CEB9FE1A85EC53ULL;
    return h ^ (h >> 33);
}

static uint64_t hash_bytes(uint64_t h, const char *p, Py_ssize_t n)
{
    h = mix(h, (uint64_t)n);
    while (n >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        h = mix(h, w);
        p += 8;
        n -= 8;
    }
    if (n > 0) {
        uint64_t w = 0;
        memcpy(&w, p, (size_t)n);
        h = mix(h, w);
    }
    return h;
}

static inline uint64_t load8(const char *p)
{
    uint64_t w;
    memcpy(&w, p, 8);
    return w;
}

static inline int is_header_at(const char *r, Py_ssize_t rn, Py_ssize_t i)
{
    /* one 8-byte compare, nearly always false: a branch the CPU predicts */
    return i >= 0 && i + 10 <= rn && load8(r + i) == load8(GOROUTINE) && r[i + 8] == 'e' && r[i + 9] == ' ';
}

static inline int same_bytes(const char *a, const char *b, Py_ssize_t n)
{
    while (n >= 8) {
        if (load8(a) != load8(b))
            return 0;
        a += 8;
        b += 8;
        n -= 8;
    }
    while (n-- > 0)
        if (*a++ != *b++)
            return 0;
    return 1;
}

static const char *rchr(const char *p, int c, Py_ssize_t n)
{
#ifdef __GLIBC__
    return memrchr(p, c, (size_t)n);
#else
    while (n-- > 0)
        if (p[n] == (char)c)
            return p + n;
    return NULL;
#endif
}

static PyObject *decode(const char *p, Py_ssize_t n)
{
    return PyUnicode_DecodeUTF8(p, n, "replace");
}

static int contains_fp(const char *p, Py_ssize_t n)
{
    /* " fp=" anywhere in the line */
    const char *end = p + n, *q = p;
    while (end - q >= 4) {
        const char *sp = memchr(q, ' ', (size_t)(end - q - 3));
        if (sp == NULL)
            return 0;
        if (sp[1] == 'f' && sp[2] == 'p' && sp[3] == '=')
            return 1;
        q = sp + 1;
    }
    return 0;
}

/* ---- the table of groups ------------------------------------------------------------------- */

static void entry_free(Entry *e)
{
    Py_XDECREF(e->dump_obj);
    Py_XDECREF(e->k);
    Py_XDECREF(e->grp);
    Py_XDECREF(e->ids);
    Py_XDECREF(e->counter);
    PyMem_Free(e->key);
    PyMem_Free(e->last);
    PyMem_Free(e);
}

static void table_clear(Scanner *s)
{
    for (size_t i = 0; i < s->tabcap; i++) {
        if (s->tab[i] != NULL) {
            entry_free(s->tab[i]);
            s->tab[i] = NULL;
        }
    }
    s->tabn = 0;
    s->ntouched = 0;
}

/* A location line's length and a few of its bytes (its end: file, line, pc offset; its
   middle): cheap, and a collision only costs a memcmp. */
static inline uint64_t line_sig(const char *p, Py_ssize_t n)
{
    if (n >= 16)
        return load8(p + n - 8) ^ (load8(p + n - 16) * 0xC2B2AE3D27D4EB4FULL)
            ^ ((load8(p + n / 2 - 4) + (uint64_t)n) * 0x165667B19E3779F9ULL);
    char t[16] = {0};
    memcpy(t, p, (size_t)n);
    return load8(t) ^ (load8(t + 8) * 0xC2B2AE3D27D4EB4FULL) ^ (uint64_t)n;
}

static uint64_t locs_hash(Py_ssize_t state_id, const Seg *segs, Py_ssize_t m)
{
    uint64_t h = mix(0x51ED270B27B4F1A5ULL, (uint64_t)state_id);
    for (Py_ssize_t i = 2; i < m; i += 2)
        h = mix(h, line_sig(segs[i].p, segs[i].n));
    return fmix(h);
}

static int locs_equal(const Entry *e, const Seg *segs, Py_ssize_t m)
{
    Py_ssize_t off = 0;
    for (Py_ssize_t i = 2; i < m; i += 2) {
        if (i > 2) {
            if (off >= e->keylen || e->key[off] != '\n')
                return 0;
            off++;
        }
        if (segs[i].n > e->keylen - off || !same_bytes(e->key + off, segs[i].p, segs[i].n))
            return 0;
        off += segs[i].n;
    }
    return off == e->keylen;
}

static Entry *table_find(Scanner *s, uint64_t h, Py_ssize_t state_id, const Seg *segs, Py_ssize_t m)
{
    if (s->tabcap == 0)
        return NULL;
    size_t mask = s->tabcap - 1;
    for (size_t i = (size_t)h & mask;; i = (i + 1) & mask) {
        Entry *e = s->tab[i];
        if (e == NULL)
            return NULL;
        if (e->hash == h && e->state_id == state_id && locs_equal(e, segs, m))
            return e;
    }
}

static int table_grow(Scanner *s)
{
    size_t cap = s->tabcap ? s->tabcap * 2 : 64;
    Entry **tab = PyMem_Calloc(cap, sizeof(Entry *));
    if (tab == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    for (size_t i = 0; i < s->tabcap; i++) {
        Entry *e = s->tab[i];
        if (e == NULL)
            continue;
        size_t j = (size_t)e->hash & (cap - 1);
        while (tab[j] != NULL)
            j = (j + 1) & (cap - 1);
        tab[j] = e;
    }
    PyMem_Free(s->tab);
    s->tab = tab;
    s->tabcap = cap;
    return 0;
}

static int table_add(Scanner *s, Entry *e)
{
    if ((s->tabn + 1) * 2 > s->tabcap && table_grow(s) < 0)
        return -1;
    size_t mask = s->tabcap - 1;
    size_t i = (size_t)e->hash & mask;
    while (s->tab[i] != NULL)
        i = (i + 1) & mask;
    s->tab[i] = e;
    s->tabn++;
    return 0;
}

static int touch(Scanner *s, Entry *e)
{
    if (e->touched)
        return 0;
    if (s->ntouched == s->touchedcap) {
        size_t cap = s->touchedcap ? s->touchedcap * 2 : 64;
        Entry **t = PyMem_Realloc(s->touched, cap * sizeof(Entry *));
        if (t == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        s->touched = t;
        s->touchedcap = cap;
    }
    s->touched[s->ntouched++] = e;
    e->touched = 1;
    return 0;
}

/* ---- to and from the Python objects ----------------------------------------------------- */

static int add_attr(PyObject *obj, PyObject *name, long long n)
{
    PyObject *cur = PyObject_GetAttr(obj, name);
    if (cur == NULL)
        return -1;
    PyObject *d = PyLong_FromLongLong(n);
    if (d == NULL) {
        Py_DECREF(cur);
        return -1;
    }
    PyObject *sum = PyNumber_Add(cur, d);
    Py_DECREF(cur);
    Py_DECREF(d);
    if (sum == NULL)
        return -1;
    int r = PyObject_SetAttr(obj, name, sum);
    Py_DECREF(sum);
    return r;
}

static int counter_add(PyObject *counter, PyObject *grp, long long n)
{
    PyObject *k = PyLong_FromVoidPtr(grp);          /* id(grp) */
    if (k == NULL)
        return -1;
    PyObject *cur = PyObject_GetItem(counter, k);
    int r = -1;
    if (cur != NULL) {
        PyObject *d = PyLong_FromLongLong(n);
        if (d != NULL) {
            PyObject *sum = PyNumber_Add(cur, d);
            if (sum != NULL) {
                r = PyObject_SetItem(counter, k, sum);
                Py_DECREF(sum);
            }
            Py_DECREF(d);
        }
        Py_DECREF(cur);
    }
    Py_DECREF(k);
    return r;
}

static int flush_lock(Entry *e)
{
    if (e->plock && e->counter != NULL) {
        long long n = e->plock;
        e->plock = 0;
        return counter_add(e->counter, e->grp, n);
    }
    e->plock = 0;
    return 0;
}

/* Everything counted here into the Python objects. */
static int flush(Scanner *s)
{
    for (size_t i = 0; i < s->ntouched; i++) {
        Entry *e = s->touched[i];
        e->touched = 0;
        if (e->pcount) {
            long long n = e->pcount;
            e->pcount = 0;
            if (add_attr(e->grp, s_count, n) < 0)
                return -1;
        }
        if (e->pmax >= 0) {
            PyObject *cur = PyObject_GetAttr(e->grp, s_max_wait);
            if (cur == NULL)
                return -1;
            PyObject *w = PyLong_FromLongLong(e->pmax);
            e->pmax = -1;
            if (w == NULL) {
                Py_DECREF(cur);
                return -1;
            }
            int gt = PyObject_RichCompareBool(w, cur, Py_GT);
            Py_DECREF(cur);
            if (gt > 0)
                gt = PyObject_SetAttr(e->grp, s_max_wait, w);
            Py_DECREF(w);
            if (gt < 0)
                return -1;
        }
        if (flush_lock(e) < 0)
            return -1;
    }
    s->ntouched = 0;
    if (s->dump_pending) {
        long long n = s->dump_pending;
        s->dump_pending = 0;
        if (s->dump == NULL || s->dump == Py_None) {
            PyErr_SetString(PyExc_RuntimeError, "stack scanner: goroutines counted with no dump open");
            return -1;
        }
        if (add_attr(s->dump, s_goroutines, n) < 0)
            return -1;
    }
    if (s->synced) {
        PyObject *v = PyLong_FromLongLong(s->line);
        if (v == NULL)
            return -1;
        int r = PyObject_SetAttr(s->reader, s_line, v);
        Py_DECREF(v);
        if (r < 0)
            return -1;
    }
    return 0;
}

static int is_none_attr(PyObject *obj, PyObject *name, int *out)
{
    PyObject *v = PyObject_GetAttr(obj, name);
    if (v == NULL)
        return -1;
    *out = v == Py_None;
    Py_DECREF(v);
    return 0;
}

/* The reader's state, read back after Python ran. */
static int read_back(Scanner *s)
{
    PyObject *v = PyObject_GetAttr(s->reader, s_line);
    if (v == NULL)
        return -1;
    s->line = PyLong_AsLongLong(v);
    Py_DECREF(v);
    if (s->line == -1 && PyErr_Occurred())
        return -1;

    PyObject *dump = PyObject_GetAttr(s->reader, s_dump);
    if (dump == NULL)
        return -1;
    Py_XSETREF(s->dump, dump);
    s->dump_ok = 0;
    if (dump != Py_None) {
        PyObject *kind = PyObject_GetAttr(dump, s_kind);
        if (kind == NULL)
            return -1;
        int eq = PyObject_RichCompareBool(kind, s_kind_goroutines, Py_EQ);
        Py_DECREF(kind);
        if (eq < 0)
            return -1;
        s->dump_ok = eq;
    }

    v = PyObject_GetAttr(s->reader, s_closed);
    if (v == NULL)
        return -1;
    int closed = PyObject_IsTrue(v);
    Py_DECREF(v);
    if (closed < 0)
        return -1;
    s->closed = closed;

    int g_none, pp_none;
    if (is_none_attr(s->reader, s_g, &g_none) < 0 || is_none_attr(s->reader, s_pp, &pp_none) < 0)
        return -1;
    s->py_open = !(g_none && pp_none);

    PyObject *by = PyObject_GetAttr(s->reader, s_by);
    if (by == NULL)
        return -1;
    if (by != s->by) {                  /* a new dump: its own groups */
        if (s->ntouched && flush(s) < 0) {
            Py_DECREF(by);
            return -1;
        }
        table_clear(s);
        Py_XSETREF(s->by, by);
    } else {
        Py_DECREF(by);
    }

    PyObject *seen = PyObject_GetAttr(s->reader, s_seen);
    if (seen == NULL)
        return -1;
    PyObject *bits = PyObject_GetAttr(seen, s_bits);
    Py_DECREF(seen);
    if (bits == NULL)
        return -1;
    if (!PyByteArray_CheckExact(bits)) {
        Py_DECREF(bits);
        PyErr_SetString(PyExc_TypeError, "stack scanner: _seen.bits is not a bytearray");
        return -1;
    }
    Py_XSETREF(s->bits, bits);
    s->synced = 1;
    return 0;
}

/* reader.NAME(*args), with the counts flushed before and the state read back after. */
static int call_reader(Scanner *s, PyObject *name, PyObject *arg)
{
    if (flush(s) < 0)
        return -1;
    PyObject *r = arg == NULL ? PyObject_CallMethodNoArgs(s->reader, name)
                              : PyObject_CallMethodOneArg(s->reader, name, arg);
    if (r == NULL)
        return -1;
    Py_DECREF(r);
    return read_back(s);
}

static int call_text(Scanner *s, PyObject *name, const char *p, Py_ssize_t n)
{
    PyObject *t = decode(p, n);
    if (t == NULL)
        return -1;
    int r = call_reader(s, name, t);
    Py_DECREF(t);
    return r;
}

/* _Ids.repeat on the bytearray: 1 seen before, 0 not (now marked), -1 error. */
static int seen_repeat(Scanner *s, long long gid)
{
    Py_ssize_t byte = (Py_ssize_t)(gid >> 3);
    Py_ssize_t len = PyByteArray_GET_SIZE(s->bits);
    if (byte >= len) {
        Py_ssize_t grow = byte + 1 - len > len ? byte + 1 - len : len;
        if (PyByteArray_Resize(s->bits, len + grow) < 0)
            return -1;
        memset(PyByteArray_AS_STRING(s->bits) + len, 0, (size_t)grow);
    }
    unsigned char *b = (unsigned char *)PyByteArray_AS_STRING(s->bits);
    unsigned char bit = (unsigned char)(1u << (gid & 7));
    if (b[byte] & bit)
        return 1;
    b[byte] |= bit;
    return 0;
}

/* ---- wait states ------------------------------------------------------------------------- */

static int state_grow(Scanner *s)
{
    size_t cap = s->scap ? s->scap * 2 : 256;
    StateEnt *t = PyMem_Calloc(cap, sizeof(StateEnt));
    if (t == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    for (size_t i = 0; i < s->scap; i++) {
        if (s->states[i].text == NULL)
            continue;
        size_t j = (size_t)s->states[i].hash & (cap - 1);
        while (t[j].text != NULL)
            j = (j + 1) & (cap - 1);
        t[j] = s->states[i];
    }
    PyMem_Free(s->states);
    s->states = t;
    s->scap = cap;
    return 0;
}

/* The (state, wait) of a header's bracket text; *ok = 0 when the wait is past 64 bits. */
static StateEnt *state_of(Scanner *s, const char *p, Py_ssize_t n, StateEnt *tmp, int *ok)
{
    uint64_t h = fmix(hash_bytes(0x2545F4914F6CDD1DULL, p, n));
    *ok = 1;
    if (s->scap) {
        for (size_t i = (size_t)h & (s->scap - 1);; i = (i + 1) & (s->scap - 1)) {
            StateEnt *e = &s->states[i];
            if (e->text == NULL)
                break;
            if (e->hash == h && e->n == n && memcmp(e->text, p, (size_t)n) == 0)
                return e;
        }
    }
    /* not known: ask Python, the same function the Python path uses */
    PyObject *t = decode(p, n);
    if (t == NULL)
        return NULL;
    PyObject *st = PyObject_CallMethodOneArg(s->reader, s_state_of, t);
    Py_DECREF(t);
    if (st == NULL)
        return NULL;
    if (!PyTuple_Check(st) || PyTuple_GET_SIZE(st) != 2 || !PyLong_Check(PyTuple_GET_ITEM(st, 1))) {
        Py_DECREF(st);
        PyErr_SetString(PyExc_TypeError, "stack scanner: _state_of gave no (state, wait)");
        return NULL;
    }
    int overflow = 0;
    long long wait = PyLong_AsLongLongAndOverflow(PyTuple_GET_ITEM(st, 1), &overflow);
    if (wait == -1 && PyErr_Occurred()) {
        Py_DECREF(st);
        return NULL;
    }
    PyObject *name = PyTuple_GET_ITEM(st, 0);
    PyObject *id = PyDict_GetItemWithError(s->state_ids, name);
    Py_ssize_t state_id;
    if (id != NULL) {
        state_id = PyLong_AsSsize_t(id);
    } else {
        if (PyErr_Occurred()) {
            Py_DECREF(st);
            return NULL;
        }
        state_id = PyDict_GET_SIZE(s->state_ids);
        PyObject *v = PyLong_FromSsize_t(state_id);
        if (v == NULL || PyDict_SetItem(s->state_ids, name, v) < 0) {
            Py_XDECREF(v);
            Py_DECREF(st);
            return NULL;
        }
        Py_DECREF(v);
    }
    if (overflow || wait < 0)
        *ok = 0;                        /* Python keeps the block */
    if (s->sn < MAX_STATES && *ok) {
        if ((s->sn + 1) * 2 > s->scap && state_grow(s) < 0) {
            Py_DECREF(st);
            return NULL;
        }
        char *copy = PyMem_Malloc(n ? (size_t)n : 1);
        if (copy == NULL) {
            Py_DECREF(st);
            PyErr_NoMemory();
            return NULL;
        }
        memcpy(copy, p, (size_t)n);
        size_t i = (size_t)h & (s->scap - 1);
        while (s->states[i].text != NULL)
            i = (i + 1) & (s->scap - 1);
        StateEnt *e = &s->states[i];
        e->hash = h;
        e->text = copy;
        e->n = n;
        e->st = st;                     /* owned */
        e->state_id = state_id;
        e->wait = wait;
        s->sn++;
        return e;
    }
    /* not kept: TMP holds it for this goroutine (its st a new reference the caller drops) */
    tmp->hash = h;
    tmp->text = NULL;
    tmp->n = n;
    tmp->st = st;
    tmp->state_id = state_id;
    tmp->wait = wait;
    return tmp;
}

/* ---- one goroutine block ----------------------------------------------------------------- */

static PyObject *seg_list(const Seg *segs, Py_ssize_t from, Py_ssize_t to, Py_ssize_t step)
{
    Py_ssize_t n = from < to ? (to - from + step - 1) / step : 0;
    PyObject *l = PyList_New(n);
    if (l == NULL)
        return NULL;
    for (Py_ssize_t i = 0; i < n; i++) {
        const Seg *g = &segs[from + i * step];
        PyObject *t = decode(g->p, g->n);
        if (t == NULL) {
            Py_DECREF(l);
            return NULL;
        }
        PyList_SET_ITEM(l, i, t);
    }
    return l;
}

static Entry *new_entry(Scanner *s, long long gid, StateEnt *st, const Seg *segs, Py_ssize_t m, uint64_t h)
{
    if (flush(s) < 0)
        return NULL;
    PyObject *ls = seg_list(segs, 0, m, 1);
    if (ls == NULL)
        return NULL;
    PyObject *g = PyLong_FromLongLong(gid);
    PyObject *grp = g ? PyObject_CallMethodObjArgs(s->reader, s_fast_group, g, st->st, ls, NULL) : NULL;
    Py_XDECREF(g);
    Py_DECREF(ls);
    if (grp == NULL)
        return NULL;
    if (read_back(s) < 0) {
        Py_DECREF(grp);
        return NULL;
    }
    Entry *e = PyMem_Calloc(1, sizeof(Entry));
    if (e == NULL) {
        Py_DECREF(grp);
        PyErr_NoMemory();
        return NULL;
    }
    e->hash = h;
    e->state_id = st->state_id;
    e->grp = grp;
    e->pmax = -1;
    e->lock_line = -1;
    Py_ssize_t keylen = 0;
    for (Py_ssize_t i = 2; i < m; i += 2)
        keylen += segs[i].n + (i > 2);
    e->key = PyMem_Malloc(keylen ? (size_t)keylen : 1);
    if (e->key == NULL) {
        entry_free(e);
        PyErr_NoMemory();
        return NULL;
    }
    Py_ssize_t off = 0;
    for (Py_ssize_t i = 2; i < m; i += 2) {
        if (i > 2)
            e->key[off++] = '\n';
        memcpy(e->key + off, segs[i].p, (size_t)segs[i].n);
        off += segs[i].n;
    }
    e->keylen = keylen;
    e->ids = PyObject_GetAttr(grp, s_ids);
    if (e->ids == NULL || !PyList_Check(e->ids)) {
        if (e->ids != NULL)
            PyErr_SetString(PyExc_TypeError, "stack scanner: Group.ids is not a list");
        entry_free(e);
        return NULL;
    }
    PyObject *track = PyObject_GetAttr(grp, s_track);
    int tr = track ? PyObject_IsTrue(track) : -1;
    Py_XDECREF(track);
    if (tr < 0) {
        entry_free(e);
        return NULL;
    }
    e->track = tr;
    e->gen = -1;                        /* lock_line read on first use */
    if (table_add(s, e) < 0) {
        entry_free(e);
        return NULL;
    }
    return e;
}

static int read_lock_line(Scanner *s, Entry *e)
{
    PyObject *r = PyObject_CallMethodOneArg(s->locks, s_lock_line, e->grp);
    if (r == NULL)
        return -1;
    e->is_lock = r != Py_None;
    e->lock_line = -1;
    if (r != Py_None) {
        Py_ssize_t i = PyLong_AsSsize_t(r);
        if (i == -1 && PyErr_Occurred()) {
            Py_DECREF(r);
            return -1;
        }
        e->lock_line = i;
    }
    Py_DECREF(r);
    if (flush_lock(e) < 0)
        return -1;
    Py_CLEAR(e->counter);
    e->gen = s->lock_gen;
    return 0;
}

static int read_gen(Scanner *s)
{
    PyObject *v = PyObject_GetAttr(s->locks, s_reorders);
    if (v == NULL)
        return -1;
    long long g = PyLong_AsLongLong(v);
    Py_DECREF(v);
    if (g == -1 && PyErr_Occurred())
        return -1;
    s->lock_gen = g;
    return 0;
}

/* ---- argument holders (LockTracker.goroutine for a group not waiting on a lock) ---------- */

static uint64_t holder_hash(Py_ssize_t dump, const char *v, Py_ssize_t vn)
{
    return fmix(hash_bytes(mix(0x7A3F5C1B2D4E6F81ULL, (uint64_t)dump), v, vn));
}

static HEnt *holder_find(Scanner *s, uint64_t h, Py_ssize_t dump, const char *v, Py_ssize_t vn)
{
    if (s->hcap == 0)
        return NULL;
    for (size_t i = (size_t)h & (s->hcap - 1);; i = (i + 1) & (s->hcap - 1)) {
        HEnt *e = &s->htab[i];
        if (e->v == NULL)
            return NULL;
        if (e->hash == h && e->dump == dump && e->vn == vn && memcmp(e->v, v, (size_t)vn) == 0)
            return e;
    }
}

static int holder_add(Scanner *s, uint64_t h, Py_ssize_t dump, const char *v, Py_ssize_t vn, PyObject *list)
{
    if ((s->hn + 1) * 2 > s->hcap) {
        size_t cap = s->hcap ? s->hcap * 2 : 1024;
        HEnt *t = PyMem_Calloc(cap, sizeof(HEnt));
        if (t == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        for (size_t i = 0; i < s->hcap; i++) {
            if (s->htab[i].v == NULL)
                continue;
            size_t j = (size_t)s->htab[i].hash & (cap - 1);
            while (t[j].v != NULL)
                j = (j + 1) & (cap - 1);
            t[j] = s->htab[i];
        }
        PyMem_Free(s->htab);
        s->htab = t;
        s->hcap = cap;
    }
    char *copy = PyMem_Malloc(vn ? (size_t)vn : 1);
    if (copy == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    memcpy(copy, v, (size_t)vn);
    size_t i = (size_t)h & (s->hcap - 1);
    while (s->htab[i].v != NULL)
        i = (i + 1) & (s->hcap - 1);
    HEnt *e = &s->htab[i];
    e->hash = h;
    e->dump = dump;
    e->v = copy;
    e->vn = vn;
    Py_INCREF(list);
    e->list = list;
    s->hn++;
    return 0;
}

/* holders is full: no key is added to it any more, so index every key it has. */
static int index_holders(Scanner *s)
{
    PyObject *key, *list;
    Py_ssize_t pos = 0;
    while (PyDict_Next(s->holders, &pos, &key, &list)) {
        if (!PyTuple_Check(key) || PyTuple_GET_SIZE(key) != 2 || !PyUnicode_Check(PyTuple_GET_ITEM(key, 1))
            || !PyList_Check(list)) {
            PyErr_SetString(PyExc_TypeError, "stack scanner: LockTracker.holders is not (dump, str) -> list");
            return -1;
        }
        Py_ssize_t dump = PyLong_AsSsize_t(PyTuple_GET_ITEM(key, 0));
        if (dump == -1 && PyErr_Occurred())
            return -1;
        Py_ssize_t vn;
        const char *v = PyUnicode_AsUTF8AndSize(PyTuple_GET_ITEM(key, 1), &vn);
        if (v == NULL)
            return -1;
        uint64_t h = holder_hash(dump, v, vn);
        if (holder_find(s, h, dump, v, vn) == NULL && holder_add(s, h, dump, v, vn, list) < 0)
            return -1;
    }
    s->holders_complete = 1;
    return 0;
}

/* What goroutine() does with one pointer V, the N-th of function line I's arguments. */
static int holder(Scanner *s, Entry *e, long long gid, Py_ssize_t i, const char *v, Py_ssize_t vn, int receiver)
{
    uint64_t h = holder_hash(e->dump, v, vn);
    HEnt *he = holder_find(s, h, e->dump, v, vn);
    PyObject *list;
    if (he != NULL) {
        list = he->list;
    } else {
        if (s->holders_complete)
            return 0;                   /* not there, and full: goroutine() sets full and goes on */
        PyObject *vs = PyUnicode_DecodeASCII(v, vn, "strict");
        PyObject *key = vs ? PyTuple_Pack(2, e->dump_obj, vs) : NULL;
        Py_XDECREF(vs);
        if (key == NULL)
            return -1;
        list = PyDict_GetItemWithError(s->holders, key);
        if (list == NULL) {
            if (PyErr_Occurred()) {
                Py_DECREF(key);
                return -1;
            }
            if (PyDict_GET_SIZE(s->holders) >= s->max_addresses) {
                Py_DECREF(key);
                if (PyObject_SetAttr(s->locks, s_full, Py_True) < 0)
                    return -1;
                return index_holders(s);
            }
            list = PyList_New(0);
            int r = list ? PyDict_SetItem(s->holders, key, list) : -1;
            Py_XDECREF(list);           /* the dict holds it */
            if (r < 0) {
                Py_DECREF(key);
                return -1;
            }
        }
        Py_DECREF(key);
        if (!PyList_Check(list)) {
            PyErr_SetString(PyExc_TypeError, "stack scanner: a holders value is not a list");
            return -1;
        }
        if (holder_add(s, h, e->dump, v, vn, list) < 0)
            return -1;
    }
    if (PyList_GET_SIZE(list) >= 4)
        return 0;
    PyObject *t = Py_BuildValue("(LOnO)", gid, e->k, i, receiver ? Py_True : Py_False);
    if (t == NULL)
        return -1;
    int r = PyList_Append(list, t);
    Py_DECREF(t);
    return r;
}

static inline int is_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

/* goroutine() for a group not waiting on a lock: the pointers (0xc[0-9a-f]{7,}, leftmost,
   greedy) in the arguments (from the last '(') of each kept function line. */
static int holders_of(Scanner *s, Entry *e, long long gid, const Seg *segs, Py_ssize_t nfuncs)
{
    for (Py_ssize_t j = 0; j < e->nargs; j++) {
        Py_ssize_t i = e->args[j];
        const Seg *f = &segs[1 + 2 * i];
        const char *lp = rchr(f->p, '(', f->n);
        if (lp == NULL)
            continue;                   /* f[-1:]: one character, no pointer in it */
        const char *a = lp, *end = f->p + f->n;
        Py_ssize_t n = 0;
        for (const char *q = a; end - q >= 10;) {
            if (q[0] == '0' && q[1] == 'x' && q[2] == 'c') {
                const char *x = q + 3;
                while (x < end && is_hex(*x))
                    x++;
                if (x - (q + 3) >= 7) {
                    if (holder(s, e, gid, i, q, x - q, n == 0 && q == a + 1) < 0)
                        return -1;
                    n++;
                    q = x;
                    continue;
                }
            }
            q++;
        }
    }
    return 0;
}

static int read_arg_lines(Scanner *s, Entry *e)
{
    PyObject *r = PyObject_CallMethodOneArg(s->locks, s_arg_lines, e->grp);
    if (r == NULL)
        return -1;
    PyObject *d = PyObject_GetAttr(e->grp, s_group_dump);
    PyObject *seq = PySequence_Fast(r, "stack scanner: arg_lines() is not a list");
    Py_DECREF(r);
    if (d == NULL || seq == NULL) {
        Py_XDECREF(d);
        Py_XDECREF(seq);
        return -1;
    }
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    e->nargs = -1;                      /* more than 8, or odd values: Python does this group */
    if (n <= 8) {
        e->nargs = n;
        for (Py_ssize_t j = 0; j < n; j++) {
            Py_ssize_t v = PyLong_AsSsize_t(PySequence_Fast_GET_ITEM(seq, j));
            if (v == -1 && PyErr_Occurred()) {
                Py_DECREF(seq);
                Py_DECREF(d);
                return -1;
            }
            if (v < 0)
                e->nargs = -1;
            e->args[j] = v;
        }
    }
    Py_DECREF(seq);
    e->dump = PyLong_AsSsize_t(d);
    if (e->dump == -1 && PyErr_Occurred()) {
        Py_DECREF(d);
        return -1;
    }
    e->dump_obj = d;
    e->k = PyLong_FromVoidPtr(e->grp);
    if (e->k == NULL)
        return -1;
    e->args_read = 1;
    return 0;
}

/* LockTracker.goroutine for this goroutine, unless its lock line repeats the last one's. */
static int track(Scanner *s, Entry *e, long long gid, StateEnt *st, const Seg *segs, Py_ssize_t m)
{
    Py_ssize_t nfuncs = (m - 1) / 2;
    const Seg *line = NULL;
    if (e->gen != s->lock_gen && read_lock_line(s, e) < 0)
        return -1;
    if (e->is_lock && e->lock_line >= 0 && e->lock_line < nfuncs) {
        line = &segs[1 + 2 * e->lock_line];
        if (e->counter != NULL && line->n == e->lastlen && memcmp(line->p, e->last, (size_t)line->n) == 0) {
            e->plock++;
            return touch(s, e);
        }
    }
    if (!e->is_lock) {
        if (!e->args_read && read_arg_lines(s, e) < 0)
            return -1;
        int inside = e->nargs >= 0;
        for (Py_ssize_t j = 0; inside && j < e->nargs; j++)
            inside = e->args[j] < nfuncs;
        if (inside)
            return holders_of(s, e, gid, segs, nfuncs);
    }
    PyObject *funcs = seg_list(segs, 1, m, 2);
    if (funcs == NULL)
        return -1;
    PyObject *g = PyLong_FromLongLong(gid);
    PyObject *r = g ? PyObject_CallMethodObjArgs(s->locks, s_goroutine, e->grp, g, funcs,
                                                 PyTuple_GET_ITEM(st->st, 1), NULL) : NULL;
    Py_XDECREF(g);
    Py_DECREF(funcs);
    if (r == NULL)
        return -1;
    long long before = s->lock_gen;
    if (read_gen(s) < 0 || flush_lock(e) < 0) {
        Py_DECREF(r);
        return -1;
    }
    Py_CLEAR(e->counter);
    if (line != NULL && r != Py_None && s->lock_gen == before && e->gen == s->lock_gen) {
        char *copy = PyMem_Realloc(e->last, line->n ? (size_t)line->n : 1);
        if (copy == NULL) {
            Py_DECREF(r);
            PyErr_NoMemory();
            return -1;
        }
        memcpy(copy, line->p, (size_t)line->n);
        e->last = copy;
        e->lastlen = line->n;
        e->counter = r;                 /* owned */
        return 0;
    }
    Py_DECREF(r);
    return 0;
}

/* The fast path's test, on bytes: header, then function / tab-led location pairs. Fills the
   id and the state text; 0: Python's _block decides. */
static int fast_shape(Scanner *s, const char *p, Py_ssize_t n, const Seg *segs, Py_ssize_t m,
                      long long *gid, const char **st, Py_ssize_t *stn)
{
    if (m < 3 || !(m & 1) || s->closed)
        return 0;
    const Seg *h = &segs[0];
    if (h->n < 2 || h->p[h->n - 2] != ']' || h->p[h->n - 1] != ':')
        return 0;
    int eq = memchr(p, '=', (size_t)n) != NULL;     /* no '=': no " fp=" on any line */
    for (Py_ssize_t i = 1; i < m; i++) {
        const Seg *g = &segs[i];
        if (i & 1) {
            if (g->n > 0 && g->p[0] == '\t')
                return 0;
        } else if (g->n == 0 || g->p[0] != '\t' || (eq && contains_fp(g->p, g->n))) {
            return 0;
        }
    }
    const char *sp = memchr(h->p, ' ', (size_t)h->n);
    if (sp == NULL || sp == h->p)
        return 0;
    long long v = 0;
    for (const char *q = h->p; q < sp; q++) {
        if (*q < '0' || *q > '9')
            return 0;                   /* str.isdigit takes more than ASCII: Python's call */
        v = v * 10 + (*q - '0');
        if (v >= GID_LIMIT)
            return 0;
    }
    const char *b = memchr(sp, '[', (size_t)(h->p + h->n - sp));
    if (b == NULL)
        return 0;
    *gid = v;
    *st = b + 1;
    *stn = (h->p + h->n - 2) - (b + 1);
    return *stn >= 0;
}

static int block(Scanner *s, const char *p, Py_ssize_t n, const Seg *segs, Py_ssize_t k, int more)
{
    long long start = s->line;
    Py_ssize_t m = k;
    while (m > 0 && segs[m - 1].n == 0)
        m--;
    long long gid = 0;
    const char *stp = NULL;
    Py_ssize_t stn = 0;
    StateEnt tmp = {0}, *st = NULL;
    int ok = 0;
    if (fast_shape(s, p, n, segs, m, &gid, &stp, &stn)) {
        st = state_of(s, stp, stn, &tmp, &ok);
        if (st == NULL)
            return -1;
    }
    int r = 0;
    if (!ok) {
        r = call_text(s, s_block, p, n);
        goto done;
    }
    if (s->py_open && (r = call_reader(s, s_finish, NULL)) < 0)
        goto done;
    s->line++;                                          /* the header's line */
    if (!s->dump_ok && (r = call_reader(s, s_new_dump, s->dump == Py_None ? s_lazy : s_empty)) < 0)
        goto done;
    if ((r = seen_repeat(s, gid)) < 0)
        goto done;
    if (r && gid) {                                     /* a second dump in the same file */
        if ((r = call_reader(s, s_new_dump, s_repeat_why)) < 0 || (r = seen_repeat(s, gid)) < 0)
            goto done;
    }
    r = 0;
    uint64_t h = locs_hash(st->state_id, segs, m);
    Entry *e = table_find(s, h, st->state_id, segs, m);
    if (e == NULL && (e = new_entry(s, gid, st, segs, m, h)) == NULL) {
        r = -1;
        goto done;
    }
    if (s->dump == Py_None) {
        PyErr_SetString(PyExc_RuntimeError, "stack scanner: no dump open");
        r = -1;
        goto done;
    }
    e->pcount++;
    s->dump_pending++;
    if (st->wait > e->pmax)
        e->pmax = st->wait;
    if ((r = touch(s, e)) < 0)
        goto done;
    if (PyList_GET_SIZE(e->ids) < 20) {
        PyObject *g = PyLong_FromLongLong(gid);
        if (g == NULL || PyList_Append(e->ids, g) < 0) {
            Py_XDECREF(g);
            r = -1;
            goto done;
        }
        Py_DECREF(g);
    }
    if (e->track)
        r = track(s, e, gid, st, segs, m);
done:
    if (st == &tmp)
        Py_XDECREF(tmp.st);
    if (r < 0)
        return -1;
    /* the "\n" cut off before the next "goroutine " ended this block's last line */
    s->line = start + (k - 1) + (more || !(k > 1 && segs[k - 1].n == 0));
    return 0;
}

/* The next '\n' at or after FROM, from a bitmap of 64-byte windows (one window kept). */
typedef struct {
    const char *b;
    Py_ssize_t n, w;
    uint64_t m;
} NL;

static inline uint64_t nl_mask64(const char *p)
{
#ifdef __SSE2__
    const __m128i nl = _mm_set1_epi8('\n');
    uint64_t m0 = (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)p), nl));
    uint64_t m1 = (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(p + 16)), nl));
    uint64_t m2 = (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(p + 32)), nl));
    uint64_t m3 = (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(p + 48)), nl));
    return m0 | (m1 << 16) | (m2 << 32) | (m3 << 48);
#else
    uint64_t m = 0;
    for (int i = 0; i < 64; i++)
        m |= (uint64_t)(p[i] == '\n') << i;
    return m;
#endif
}

static inline Py_ssize_t nl_next(NL *it, Py_ssize_t from)
{
    while (from < it->n) {
        Py_ssize_t w = from & ~(Py_ssize_t)63;
        if (w != it->w) {
            if (w + 64 <= it->n) {
                it->m = nl_mask64(it->b + w);
            } else {
                uint64_t m = 0;
                for (Py_ssize_t i = w; i < it->n; i++)
                    m |= (uint64_t)(it->b[i] == '\n') << (i - w);
                it->m = m;
            }
            it->w = w;
        }
        uint64_t m = it->m & (~0ULL << (from - w));
        if (m)
            return w + __builtin_ctzll(m);
        from = w + 64;
    }
    return -1;
}

static int push_seg(Scanner *s, Py_ssize_t *k, const char *p, Py_ssize_t n)
{
    if (*k == s->segcap) {
        Py_ssize_t cap = s->segcap ? s->segcap * 2 : 256;
        Seg *t = PyMem_Realloc(s->segs, (size_t)cap * sizeof(Seg));
        if (t == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        s->segs = t;
        s->segcap = cap;
    }
    s->segs[*k].p = p;
    s->segs[*k].n = n;
    (*k)++;
    return 0;
}

/* ("\n" + ready).split("\ngoroutine "): the text before the first goroutine to _lines, each
   block after it to block(). */
static int process_ready(Scanner *s, const char *r, Py_ssize_t rn, int header_next)
{
    NL it = {r, rn, -1, 0};
    Py_ssize_t first = -1;
    if (is_header_at(r, rn, 0)) {
        first = 0;
    } else {
        Py_ssize_t q = 0, e;
        while ((e = nl_next(&it, q)) >= 0) {
            if (is_header_at(r, rn, e + 1)) {
                first = e + 1;
                break;
            }
            q = e + 1;
        }
    }
    if (first != 0) {
        if (call_text(s, s_lines, r, first < 0 ? rn : first - 1) < 0)
            return -1;
        if (first < 0)
            return 0;
    }
    Py_ssize_t pos = first + 10;
    for (;;) {
        Py_ssize_t k = 0, bend = rn;
        int more = 0;
        Py_ssize_t q = pos;
        for (;;) {
            Py_ssize_t e = nl_next(&it, q);
            if (e < 0) {
                if (push_seg(s, &k, r + q, rn - q) < 0)
                    return -1;
                break;
            }
            if (push_seg(s, &k, r + q, e - q) < 0)
                return -1;
            if (is_header_at(r, rn, e + 1)) {
                bend = e;
                more = 1;
                break;
            }
            q = e + 1;
        }
        if (block(s, r + pos, bend - pos, s->segs, k, more || header_next) < 0)
            return -1;
        if (!more)
            return 0;
        pos = bend + 1 + 10;
    }
}

/* ---- the chunk loop (Reader._plain) ------------------------------------------------------ */

static Py_ssize_t rfind_header(const char *b, Py_ssize_t n)
{
    Py_ssize_t len = n;
    while (len > 0) {
        const char *e = rchr(b, '\n', len);
        if (e == NULL)
            return -1;
        if (is_header_at(b, n, e + 1 - b))
            return e - b;
        len = e - b;
    }
    return -1;
}

/* Drop the first N pending bytes; the PARKED bytes after them (read, not yet pending) move too. */
static void drop_front(Scanner *s, Py_ssize_t n)
{
    if (n > s->len)
        n = s->len;
    if (n > 0 && s->len - n + s->parked > 0)
        memmove(s->buf, s->buf + n, (size_t)(s->len - n + s->parked));
    s->len -= n;
}

/* What _plain does with its pending text once it sees the next chunk (FINAL: there is none). */
static int step(Scanner *s, int final, int header_next)
{
    if (final) {
        Py_ssize_t n = s->len;
        s->len = 0;                     /* buf itself stays until the next append */
        if (header_next && n > 0 && s->buf[n - 1] == '\n')
            return process_ready(s, s->buf, n - 1, 1);
        return process_ready(s, s->buf ? s->buf : "", n, 0);
    }
    Py_ssize_t cut = rfind_header(s->buf, s->len);
    if (cut < 0) {
        if (++s->stalled >= STALL) {    /* no goroutine for a long way: its lines now */
            const char *e = rchr(s->buf, '\n', s->len);
            Py_ssize_t c = e != NULL ? e - s->buf : s->len;
            if (call_text(s, s_lines, s->buf, c) < 0)
                return -1;
            drop_front(s, c + 1);
            s->stalled = 0;
        }
        return 0;
    }
    s->stalled = 0;
    if (process_ready(s, s->buf, cut + 1, 0) < 0)
        return -1;
    drop_front(s, cut + 1);
    return 0;
}

static int reserve(Scanner *s, Py_ssize_t more)
{
    if (more > PY_SSIZE_T_MAX / 4 - s->len) {
        PyErr_NoMemory();
        return -1;
    }
    if (s->len + more <= s->cap)
        return 0;
    Py_ssize_t cap = s->cap ? s->cap : (Py_ssize_t)1 << 20;
    while (cap < s->len + more)
        cap *= 2;
    char *b = PyMem_Realloc(s->buf, (size_t)cap);
    if (b == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    s->buf = b;
    s->cap = cap;
    return 0;
}

static int ensure_synced(Scanner *s)
{
    return s->synced ? 0 : read_back(s);
}

static int enter(Scanner *s)
{
    if (s->reader == NULL) {
        PyErr_SetString(PyExc_TypeError, "stack scanner: not initialised");
        return -1;
    }
    if (s->busy) {
        PyErr_SetString(PyExc_RuntimeError, "stack scanner: called again while it runs");
        return -1;
    }
    if (s->finished) {
        PyErr_SetString(PyExc_ValueError, "stack scanner: used after finish()");
        return -1;
    }
    s->busy = 1;
    /* the tracker's lists and tuples are no cycles: collect once on the way out, not every
       700 allocations on the way */
    s->gc_was = PyGC_Disable();
    return 0;
}

/* Leave with everything in the Python objects; read the reader again next time. */
static PyObject *leave(Scanner *s, int ok)
{
    if (ok && flush(s) < 0)
        ok = 0;
    s->synced = 0;
    s->busy = 0;
    if (s->gc_was)
        PyGC_Enable();
    if (!ok)
        return NULL;
    Py_RETURN_NONE;
}

static PyObject *Scanner_feed(Scanner *s, PyObject *arg)
{
    Py_buffer view;
    if (PyObject_GetBuffer(arg, &view, PyBUF_SIMPLE) < 0)
        return NULL;
    if (view.len == 0) {
        PyBuffer_Release(&view);
        Py_RETURN_NONE;
    }
    if (enter(s) < 0) {
        PyBuffer_Release(&view);
        return NULL;
    }
    if (ensure_synced(s) < 0 || (s->has_chunk && step(s, 0, 0) < 0)) {
        PyBuffer_Release(&view);
        return leave(s, 0);
    }
    if (reserve(s, view.len) < 0) {
        PyBuffer_Release(&view);
        return leave(s, 0);
    }
    memcpy(s->buf + s->len, view.buf, (size_t)view.len);
    s->len += view.len;
    s->has_chunk = 1;
    PyBuffer_Release(&view);
    return leave(s, 1);
}

/* read(fd, offset, size): SIZE bytes of FD at OFFSET (fewer at its end) straight into the
   pending bytes, as feed() would take them; returns how many (0: the end). */
static PyObject *Scanner_read(Scanner *s, PyObject *args)
{
    int fd;
    long long off;
    Py_ssize_t size;
    if (!PyArg_ParseTuple(args, "iLn:read", &fd, &off, &size))
        return NULL;
    if (size <= 0 || off < 0) {
        PyErr_SetString(PyExc_ValueError, "stack scanner: read() needs a positive size and offset");
        return NULL;
    }
    if (enter(s) < 0)
        return NULL;
    if (ensure_synced(s) < 0 || reserve(s, size) < 0)
        return leave(s, 0);
    Py_ssize_t got = 0;
    while (got < size) {
        ssize_t r;
        Py_BEGIN_ALLOW_THREADS
        r = pread(fd, s->buf + s->len + got, (size_t)(size - got), (off_t)(off + got));
        Py_END_ALLOW_THREADS
        if (r < 0) {
            if (errno == EINTR && PyErr_CheckSignals() == 0)
                continue;
            if (!PyErr_Occurred())
                PyErr_SetFromErrno(PyExc_OSError);
            return leave(s, 0);
        }
        if (r == 0)
            break;
        got += r;
    }
    if (got > 0) {
        /* a next chunk: now _plain steps over what was pending (the new bytes parked after it) */
        s->parked = got;
        int bad = s->has_chunk && step(s, 0, 0) < 0;
        s->len += s->parked;
        s->parked = 0;
        if (bad)
            return leave(s, 0);
        s->has_chunk = 1;
    }
    PyObject *ok = leave(s, 1);
    if (ok == NULL)
        return NULL;
    Py_DECREF(ok);
    return PyLong_FromSsize_t(got);
}

static PyObject *Scanner_finish(Scanner *s, PyObject *args)
{
    int header_next = 0;
    if (!PyArg_ParseTuple(args, "|p:finish", &header_next))
        return NULL;
    if (enter(s) < 0)
        return NULL;
    s->finished = 1;
    return leave(s, ensure_synced(s) == 0 && step(s, 1, header_next) == 0);
}

static int Scanner_init(Scanner *s, PyObject *args, PyObject *kwds)
{
    PyObject *reader;
    static char *kwlist[] = {"reader", NULL};
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O:Scanner", kwlist, &reader))
        return -1;
    if (s->reader != NULL) {
        PyErr_SetString(PyExc_TypeError, "stack scanner: already initialised");
        return -1;
    }
    PyObject *locks = PyObject_GetAttr(reader, s_locks);
    if (locks == NULL)
        return -1;
    Py_INCREF(reader);
    s->reader = reader;
    s->locks = locks;
    s->state_ids = PyDict_New();
    if (s->state_ids == NULL)
        return -1;
    s->holders = PyObject_GetAttr(locks, s_holders);
    if (s->holders == NULL)
        return -1;
    if (!PyDict_CheckExact(s->holders)) {
        PyErr_SetString(PyExc_TypeError, "stack scanner: LockTracker.holders is not a dict");
        return -1;
    }
    PyObject *mx = PyObject_GetAttr(locks, s_max_addresses);
    if (mx == NULL)
        return -1;
    s->max_addresses = PyLong_AsSsize_t(mx);
    Py_DECREF(mx);
    if (s->max_addresses == -1 && PyErr_Occurred())
        return -1;
    return read_gen(s);
}

static void Scanner_dealloc(Scanner *s)
{
    table_clear(s);
    PyMem_Free(s->tab);
    PyMem_Free(s->touched);
    for (size_t i = 0; i < s->scap; i++) {
        if (s->states[i].text != NULL) {
            PyMem_Free(s->states[i].text);
            Py_XDECREF(s->states[i].st);
        }
    }
    PyMem_Free(s->states);
    for (size_t i = 0; i < s->hcap; i++) {
        if (s->htab[i].v != NULL) {
            PyMem_Free(s->htab[i].v);
            Py_XDECREF(s->htab[i].list);
        }
    }
    PyMem_Free(s->htab);
    Py_XDECREF(s->holders);
    PyMem_Free(s->segs);
    PyMem_Free(s->buf);
    Py_XDECREF(s->reader);
    Py_XDECREF(s->locks);
    Py_XDECREF(s->dump);
    Py_XDECREF(s->by);
    Py_XDECREF(s->bits);
    Py_XDECREF(s->state_ids);
    Py_TYPE(s)->tp_free((PyObject *)s);
}

static PyMethodDef Scanner_methods[] = {
    {"feed", (PyCFunction)Scanner_feed, METH_O,
     "feed(chunk): read the pending bytes as Reader._plain does on seeing CHUNK, then keep CHUNK."},
    {"read", (PyCFunction)Scanner_read, METH_VARARGS,
     "read(fd, offset, size) -> n: feed() with SIZE bytes of FD at OFFSET, read straight in."},
    {"finish", (PyCFunction)Scanner_finish, METH_VARARGS,
     "finish(header_next=False): read what is pending as the last piece (HEADER_NEXT: as _plain's);\n"
     "every count is in the reader after it."},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject ScannerType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "hangconsole.stacks._scan.Scanner",
    .tp_doc = "Scanner(reader): Reader._plain's loop in C for READER (a hangconsole.stacks.Reader).",
    .tp_basicsize = sizeof(Scanner),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)Scanner_init,
    .tp_dealloc = (destructor)Scanner_dealloc,
    .tp_methods = Scanner_methods,
};

static PyMethodDef module_methods[] = {
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "hangconsole.stacks._scan",
    "The C scanner: reader.py's plain-dump loop on bytes (see _scan.c).", -1, module_methods,
};

#define INTERN(var, text) \
    if ((var = PyUnicode_InternFromString(text)) == NULL) \
        return NULL;

PyMODINIT_FUNC PyInit__scan(void)
{
    INTERN(s_holders, "holders");
    INTERN(s_group_dump, "dump");
    INTERN(s_max_addresses, "max_addresses");
    INTERN(s_full, "full");
    INTERN(s_arg_lines, "arg_lines");
    INTERN(s_line, "_line");
    INTERN(s_dump, "_dump");
    INTERN(s_closed, "_closed");
    INTERN(s_g, "_g");
    INTERN(s_pp, "_pp");
    INTERN(s_by, "_by");
    INTERN(s_seen, "_seen");
    INTERN(s_bits, "bits");
    INTERN(s_kind, "kind");
    INTERN(s_goroutines, "goroutines");
    INTERN(s_count, "count");
    INTERN(s_max_wait, "max_wait");
    INTERN(s_ids, "ids");
    INTERN(s_track, "track");
    INTERN(s_locks, "locks");
    INTERN(s_reorders, "reorders");
    INTERN(s_lines, "_lines");
    INTERN(s_block, "_block");
    INTERN(s_finish, "_finish");
    INTERN(s_new_dump, "_new_dump");
    INTERN(s_fast_group, "_fast_group");
    INTERN(s_state_of, "_state_of");
    INTERN(s_goroutine, "goroutine");
    INTERN(s_lock_line, "lock_line");
    INTERN(s_kind_goroutines, "goroutines");
    INTERN(s_lazy, "lazy");
    INTERN(s_empty, "");
    INTERN(s_repeat_why, "goroutine ids repeat");
    if (PyType_Ready(&ScannerType) < 0)
        return NULL;
    PyObject *m = PyModule_Create(&module);
    if (m == NULL)
        return NULL;
    if (PyModule_AddIntConstant(m, "STALL", STALL) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    Py_INCREF(&ScannerType);
    if (PyModule_AddObject(m, "Scanner", (PyObject *)&ScannerType) < 0) {
        Py_DECREF(&ScannerType);
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
