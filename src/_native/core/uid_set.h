/* User ids: a bounded copy and a small set of ids (subscriptions). The set is
 * not locked: its owner (the I/O thread) is the only one to touch it. */
#ifndef AGORA_RTC_UID_SET_H
#define AGORA_RTC_UID_SET_H

#include "agora_rtc/connection.h"

typedef struct uid_set {
    char (*ids)[AGORA_MAX_ID_LEN + 1];
    int count;
    int cap;
} uid_set;

/* Copy an id into a AGORA_MAX_ID_LEN + 1 buffer, always NUL terminated. */
void agora_copy_id(char *dst, const char *src);

int uid_set_contains(const uid_set *s, const char *uid);
int uid_set_add(uid_set *s, const char *uid);   /* AGORA_OK or AGORA_ERR_NO_MEMORY */
void uid_set_remove(uid_set *s, const char *uid);
void uid_set_clear(uid_set *s);

#endif
