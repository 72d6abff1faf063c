#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include "audio/receive/rx_table.h"

static unsigned hash_id(const char *s)
{
    unsigned h = 2166136261u; /* FNV-1a */
    while (*s)
        h = (h ^ (unsigned char)*s++) * 16777619u;
    return h;
}

/* Generations are unique over the process (not per table): a table that
 * reuses a freed table's address can never match a hint of the old one. */
static atomic_uint g_last_gen;

static unsigned next_gen(void)
{
    unsigned g;
    while ((g = atomic_fetch_add(&g_last_gen, 1) + 1) == 0) {
    }
    return g;
}

static int grow(agora_rx_table *t)
{
    unsigned n = t->nbuckets ? t->nbuckets * 2 : 16;
    agora_rx_path **b = calloc(n, sizeof(*b));
    if (!b)
        return -1;
    for (unsigned i = 0; i < t->nbuckets; i++) {
        agora_rx_path *p = t->buckets[i];
        while (p) {
            agora_rx_path *next = p->next;
            unsigned k = hash_id(p->uid) & (n - 1);
            p->next = b[k];
            b[k] = p;
            p = next;
        }
    }
    if (!t->buckets)
        t->gen = next_gen(); /* first use */
    free(t->buckets);
    t->buckets = b;
    t->nbuckets = n;
    return 0;
}

agora_rx_path *agora_rx_table_get(agora_rx_table *t, const char *uid, int create)
{
    if (t->nbuckets) {
        for (agora_rx_path *p = t->buckets[hash_id(uid) & (t->nbuckets - 1)]; p; p = p->next)
            if (strcmp(p->uid, uid) == 0)
                return p;
    }
    if (!create)
        return NULL;
    if ((t->count + 1 > t->nbuckets * 2 || !t->nbuckets) && grow(t) != 0)
        return NULL;
    agora_rx_path *p = agora_rx_new(uid);
    if (!p)
        return NULL;
    unsigned k = hash_id(uid) & (t->nbuckets - 1);
    p->next = t->buckets[k];
    t->buckets[k] = p;
    t->count++;
    return p;
}

agora_rx_path *agora_rx_table_get_hinted(agora_rx_table *t, const char *uid, agora_rx_hint *hint)
{
    if (!hint)
        return agora_rx_table_get(t, uid, 1);
    if (hint->table == t && hint->gen == t->gen && hint->path)
        return hint->path;
    agora_rx_path *p = agora_rx_table_get(t, uid, 1);
    hint->table = t;
    hint->gen = t->gen;
    hint->path = p;
    return p;
}

void agora_rx_table_drop(agora_rx_table *t, const char *uid)
{
    if (!t->nbuckets)
        return;
    for (agora_rx_path **pp = &t->buckets[hash_id(uid) & (t->nbuckets - 1)]; *pp; pp = &(*pp)->next) {
        if (strcmp((*pp)->uid, uid) == 0) {
            agora_rx_path *dead = *pp;
            *pp = dead->next;
            agora_rx_free(dead);
            t->count--;
            t->gen = next_gen();
            return;
        }
    }
}

void agora_rx_table_clear(agora_rx_table *t)
{
    for (unsigned i = 0; i < t->nbuckets; i++) {
        agora_rx_path *p = t->buckets[i];
        while (p) {
            agora_rx_path *next = p->next;
            agora_rx_free(p);
            p = next;
        }
    }
    free(t->buckets);
    t->buckets = NULL;
    t->nbuckets = t->count = 0;
    t->gen = next_gen();
}
