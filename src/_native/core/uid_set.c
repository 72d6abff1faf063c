#include <stdlib.h>
#include <string.h>
#include "agora_rtc/errors.h"
#include "core/uid_set.h"
#include "core/growable.h"

void agora_copy_id(char *dst, const char *src)
{
    size_t n = src ? strnlen(src, AGORA_MAX_ID_LEN) : 0;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

int uid_set_contains(const uid_set *s, const char *uid)
{
    for (int i = 0; i < s->count; i++)
        if (strcmp(s->ids[i], uid) == 0)
            return 1;
    return 0;
}

int uid_set_add(uid_set *s, const char *uid)
{
    if (uid_set_contains(s, uid))
        return 0;
    void *grown = agora_grow(s->ids, s->count, &s->cap, sizeof(*s->ids), 4);
    if (!grown)
        return AGORA_ERR_NO_MEMORY;
    s->ids = grown;
    agora_copy_id(s->ids[s->count], uid);
    s->count++;
    return 0;
}

void uid_set_remove(uid_set *s, const char *uid)
{
    for (int i = 0; i < s->count; i++) {
        if (strcmp(s->ids[i], uid) == 0) {
            memcpy(s->ids[i], s->ids[s->count - 1], sizeof(s->ids[i]));
            s->count--;
            return;
        }
    }
}

void uid_set_clear(uid_set *s)
{
    free(s->ids);
    s->ids = NULL;
    s->count = s->cap = 0;
}
