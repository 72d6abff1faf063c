#include <stdlib.h>
#include "core/growable.h"

void *agora_grow(void *items, int count, int *cap, size_t elem_size, int first)
{
    if (count < *cap)
        return items;
    int grown = *cap ? *cap * 2 : first;
    void *moved = realloc(items, elem_size * (size_t)grown);
    if (moved)
        *cap = grown;
    return moved;
}
