/* C unit tests of the data streams of a connection (data_stream.c): stream id
 * allocation and the per-second limits, with the clock given explicitly so
 * every window edge is exact. */
#include "engine/data_stream.h"

#include "agora_rtc/errors.h"
#include "native_test.h"

static void test_ids(void)
{
    agora_data_streams d;
    agora_dstreams_init(&d);
    CHECK(agora_dstreams_exists(&d, 1), "the default stream exists");
    CHECK(!agora_dstreams_exists(&d, 2) && !agora_dstreams_exists(&d, 0), "nothing else");
    for (int want = 2; want <= AGORA_MAX_DATA_STREAMS; want++)
        CHECK(agora_dstreams_create(&d) == want, "stream %d", want);
    CHECK(agora_dstreams_create(&d) == AGORA_ERR_REFUSED, "beyond the limit");
    CHECK(agora_dstreams_exists(&d, AGORA_MAX_DATA_STREAMS), "last one exists");
    CHECK(!agora_dstreams_exists(&d, AGORA_MAX_DATA_STREAMS + 1), "no more");
}

static void test_message_window(void)
{
    agora_data_streams d;
    agora_dstreams_init(&d);
    for (int i = 0; i < AGORA_STREAM_MESSAGES_PER_SEC; i++)
        CHECK(agora_dstreams_admit(&d, 1, 1000 + i, 10) == AGORA_OK, "message %d", i);
    CHECK(agora_dstreams_admit(&d, 1, 1500, 10) == AGORA_ERR_TOO_OFTEN, "61st within the second");
    CHECK(agora_dstreams_admit(&d, 1, 1999, 10) == AGORA_ERR_TOO_OFTEN, "still inside the window");
    /* at 2000 the first message (t=1000) left the window: exactly one more fits */
    CHECK(agora_dstreams_admit(&d, 1, 2000, 10) == AGORA_OK, "first one expired");
    CHECK(agora_dstreams_admit(&d, 1, 2000, 10) == AGORA_ERR_TOO_OFTEN, "only one slot freed");
    CHECK(agora_dstreams_admit(&d, 1, 2001, 10) == AGORA_OK, "second one expired");
    /* a refused message is not counted */
    CHECK(agora_dstreams_admit(&d, 1, 5000, 10) == AGORA_OK, "a quiet second later");
}

static void test_byte_window(void)
{
    agora_data_streams d;
    agora_dstreams_init(&d);
    int n = AGORA_STREAM_BYTES_PER_SEC / 1024;
    for (int i = 0; i < n; i++)
        CHECK(agora_dstreams_admit(&d, 1, 100, 1024) == AGORA_OK, "1 KiB message %d", i);
    CHECK(agora_dstreams_admit(&d, 1, 100, 1) == AGORA_ERR_TOO_OFTEN, "one byte over");
    CHECK(agora_dstreams_admit(&d, 1, 1099, 1) == AGORA_ERR_TOO_OFTEN, "still within the second");
    CHECK(agora_dstreams_admit(&d, 1, 1100, 1024) == AGORA_OK, "the window moved on");
}

static void test_per_stream_count_shared_bytes(void)
{
    agora_data_streams d;
    agora_dstreams_init(&d);
    CHECK(agora_dstreams_create(&d) == 2, "stream 2");
    for (int i = 0; i < AGORA_STREAM_MESSAGES_PER_SEC; i++)
        CHECK(agora_dstreams_admit(&d, 1, 1000, 10) == AGORA_OK, "stream 1 message %d", i);
    CHECK(agora_dstreams_admit(&d, 1, 1000, 10) == AGORA_ERR_TOO_OFTEN, "stream 1 is full");
    /* the message count is per stream ... */
    for (int i = 0; i < AGORA_STREAM_MESSAGES_PER_SEC; i++)
        CHECK(agora_dstreams_admit(&d, 2, 1000, 10) == AGORA_OK, "stream 2 message %d", i);
    CHECK(agora_dstreams_admit(&d, 2, 1000, 10) == AGORA_ERR_TOO_OFTEN, "stream 2 is full");
    /* ... the byte budget is the connection's */
    agora_dstreams_init(&d);
    CHECK(agora_dstreams_create(&d) == 2, "stream 2 again");
    int n = AGORA_STREAM_BYTES_PER_SEC / 1024;
    for (int i = 0; i < n; i++)
        CHECK(agora_dstreams_admit(&d, 1 + i % 2, 100, 1024) == AGORA_OK, "1 KiB message %d", i);
    CHECK(agora_dstreams_admit(&d, 2, 100, 1) == AGORA_ERR_TOO_OFTEN, "bytes shared by the streams");
    CHECK(agora_dstreams_admit(&d, 1, 1100, 1) == AGORA_OK, "the window moved on");
}

static void test_limit_off(void)
{
    agora_data_streams d;
    agora_dstreams_init(&d);
    d.rate_limit = 0;
    for (int i = 0; i < 10 * AGORA_STREAM_MESSAGES_PER_SEC; i++)
        CHECK(agora_dstreams_admit(&d, 1, 7, 1024) == AGORA_OK, "unlimited %d", i);
    d.rate_limit = 1; /* what was sent while off still counts */
    CHECK(agora_dstreams_admit(&d, 1, 8, 1) == AGORA_ERR_TOO_OFTEN, "window is full");
}

/* A receiver that cannot tell a sender's streams apart (Janus forwards data bare):
 * every message counts against what the sender may send over all its streams. */
static void test_any_stream(void)
{
    agora_data_streams d;
    agora_dstreams_init(&d);
    for (int i = 0; i < AGORA_DSTREAM_WINDOW; i++)
        CHECK(agora_dstreams_admit_any(&d, 1000, 10) == AGORA_OK, "message %d of any stream", i);
    CHECK(agora_dstreams_admit_any(&d, 1999, 10) == AGORA_ERR_TOO_OFTEN, "5 streams x 60 within the second");
    CHECK(agora_dstreams_admit_any(&d, 2000, 10) == AGORA_OK, "the window moved on");
    agora_dstreams_init(&d);
    int n = AGORA_STREAM_BYTES_PER_SEC / 1024;
    for (int i = 0; i < n; i++)
        CHECK(agora_dstreams_admit_any(&d, 100, 1024) == AGORA_OK, "1 KiB message %d", i);
    CHECK(agora_dstreams_admit_any(&d, 100, 1) == AGORA_ERR_TOO_OFTEN, "one byte over the budget");
}

int main(void)
{
    test_ids();
    test_message_window();
    test_byte_window();
    test_per_stream_count_shared_bytes();
    test_limit_off();
    test_any_stream();
    if (failures)
        printf("%d failure(s)\n", failures);
    return failures != 0;
}
