#include <stdlib.h>
#include <string.h>
#include "engine.h"

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
    if (s->count == s->cap) {
        int cap = s->cap ? s->cap * 2 : 4;
        void *ids = realloc(s->ids, sizeof(*s->ids) * (size_t)cap);
        if (!ids)
            return AGORA_ERR_NO_MEMORY;
        s->ids = ids;
        s->cap = cap;
    }
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
