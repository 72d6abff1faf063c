/* Growable arrays: room for one more element, the capacity doubling. */
#ifndef AGORA_RTC_GROWABLE_H
#define AGORA_RTC_GROWABLE_H

#include <stddef.h>

/* items holds count elements of elem_size bytes in room for *cap. Returns
 * items when there is room for one more, else the array moved to twice the
 * room (first when empty) with *cap updated, or NULL when out of memory
 * (items and *cap unchanged and still valid). */
void *agora_grow(void *items, int count, int *cap, size_t elem_size, int first);

#endif
