"""TextSegmenter: cut streamed LLM text at the last punctuation mark."""
import asyncio

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agora_rtc.agent import TextSegmenter, segment_text_stream, segment_text_stream_async


def test_english_cut_at_last_mark_and_rest_waits():
    seg = TextSegmenter()
    assert seg.feed("Hello wor") == []
    assert seg.feed("ld. How are") == ["Hello world."]
    assert seg.pending == "How are"
    assert seg.feed(" you? I am fine, thanks") == ["How are you? I am fine,"]
    assert seg.flush() == "thanks"
    assert seg.flush() is None


def test_chinese_marks_cut_without_spaces():
    # the README's example: never hand "中" / "国首" / "是北" / "京吗？" to TTS
    pieces = ["中", "国的首", "都是北", "京吗？北京", "很大。"]
    assert list(segment_text_stream(pieces)) == ["中国的首都是北京吗？", "北京很大。"]


def test_mixed_language_and_full_width_marks():
    out = list(segment_text_stream(["今天天气怎么样？It is sunny, 25", "°C。明天呢；", "不知道"]))
    assert out == ["今天天气怎么样？It is sunny,", "25°C。明天呢；", "不知道"]


def test_ascii_marks_inside_tokens_are_not_boundaries():
    # decimals, thousands, URLs, a mark at the very end (what follows is unknown yet)
    seg = TextSegmenter()
    assert seg.feed("Pi is 3.") == []
    assert seg.feed("14 and 1,000 people visit http://x.org") == []
    assert seg.feed(". Next") == ["Pi is 3.14 and 1,000 people visit http://x.org."]
    assert seg.flush() == "Next"


def test_closing_quote_stays_with_its_sentence_and_newline_cuts():
    assert list(segment_text_stream(['He said "stop." Then', " left"])) == ['He said "stop."', "Then left"]
    assert list(segment_text_stream(["line one\nline", " two"])) == ["line one", "line two"]


def test_min_chars_holds_short_segments_back():
    seg = TextSegmenter(min_chars=8)
    assert seg.feed("OK, ") == []                 # too short to be worth a TTS request
    assert seg.feed("so the answer is yes. And") == ["OK, so the answer is yes."]
    assert seg.flush() == "And"


def test_reset_and_async_stream():
    seg = TextSegmenter()
    seg.feed("half a sent")
    seg.reset()
    assert seg.pending == "" and seg.flush() is None

    async def deltas():
        for d in ["你好，", "我是助手", "。再见"]:
            yield d

    async def collect():
        return [s async for s in segment_text_stream_async(deltas())]
    assert asyncio.run(collect()) == ["你好，", "我是助手。", "再见"]


def test_bad_input():
    with pytest.raises(TypeError, match="str"):
        TextSegmenter().feed(b"bytes")
    with pytest.raises(TypeError, match="int"):
        TextSegmenter(min_chars=1.5)
    with pytest.raises(ValueError, match=">= 0"):
        TextSegmenter(min_chars=-1)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="ab c.,!?，。！？\n3", max_size=60), st.lists(st.integers(1, 7), max_size=20))
def test_no_text_is_lost_or_reordered(text, cuts):
    # split the text into deltas at arbitrary points: the segments, joined, are the text
    deltas, i = [], 0
    for c in cuts:
        deltas.append(text[i:i + c])
        i += c
    deltas.append(text[i:])
    segments = list(segment_text_stream(deltas))
    assert all(s and s == s.strip() for s in segments)
    assert "".join(segments).replace(" ", "").replace("\n", "") == text.replace(" ", "").replace("\n", "")


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet='ab .,!?"\')，。\n', max_size=50), st.lists(st.integers(1, 5), max_size=25),
       st.integers(0, 6))
def test_incremental_scan_cuts_like_a_fresh_scan(text, cuts, min_chars):
    # the segmenter skips text it already scanned: feeding delta by delta gives the
    # same segments as re-scanning the whole buffer each time (a fresh segmenter per delta)
    deltas, i = [], 0
    for c in cuts:
        deltas.append(text[i:i + c])
        i += c
    deltas.append(text[i:])
    seg, fresh_buf, fresh_out = TextSegmenter(min_chars), "", []
    out = []
    for d in deltas:
        out += seg.feed(d)
        fresh = TextSegmenter(min_chars)
        got = fresh.feed(fresh_buf + d)
        fresh_out += got
        fresh_buf = fresh.pending
    assert out == fresh_out and seg.pending == fresh_buf
