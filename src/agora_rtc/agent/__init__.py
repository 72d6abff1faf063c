"""Agent toolkit: the pieces a voice agent needs around the SDK.

- :class:`ReplyOnPause` (turn_taking): call your generator with each whole
  turn when the user has finished, stream its audio, interrupt on voice or
  ASR text (short bursts filtered, false barge-ins resumed: barge_in).
- :class:`ReplyOnStopWords` (stop_words): ReplyOnPause that answers only
  after a wake phrase (PocketSphinx keyphrase search; extra ``agora_rtc[speech]``).
- :class:`StreamHandler` / :class:`AsyncStreamHandler` (stream_handler):
  fastrtc's low-level handler (receive each frame, emit the next chunk),
  copied per connection; :class:`AdditionalOutputs` (chat-history pattern).
- :func:`get_stt_model` / :func:`get_tts_model` (speech): on-device
  PocketSphinx speech to text, flite / espeak-ng text to speech, extra
  ``agora_rtc[speech]``; :class:`KeyphraseSpotter` for stop words.
- :class:`EndOfTurnDetector` (end_of_turn): the "turn over, or wait?"
  interface ReplyOnPause asks at each pause; :class:`AnswerAtVadStop` the default;
  :class:`ProsodyTurnDetector` (prosody_turn) the native prosodic detector;
  :class:`SmartTurnDetector` (smart_turn) Smart Turn v3.2, extra ``agora_rtc[turn]``;
  :class:`LexicalTurnDetector` (lexical_turn) from the ASR transcript so far
  (open last words: "and", "the", "to", "um", "my number is"), optionally
  on top of the prosodic detector.
- :class:`TextSegmenter` (text_segmenter): cut streamed LLM text at the last
  punctuation mark for TTS (Chinese and English).
- :class:`AudioModalityClient` (audio_modality): read an audio-modality LLM
  stream (SSE: transcript, base64 PCM chunks, [DONE]) into a connection.
- :class:`ConnectionPool` (pool): reuse connections across users in a
  long-running process.
- :func:`render_vad_timeline` (vad_timeline): a PNG of a VadDump (waveform,
  voice_prob, states).
"""
from agora_rtc.agent.additional_outputs import AdditionalOutputs
from agora_rtc.agent.audio_modality import (AudioChunkEvent, AudioModalityClient, AudioModalityError,
                                            PlayResult, TranscriptEvent, parse_sse_events)
from agora_rtc.agent.end_of_turn import (TURN_OVER, WAIT, AnswerAtVadStop, EndOfTurnDetector, FrameLabels,
                                         TurnSoFar)
from agora_rtc.agent.prosody_turn import ProsodyTurnDetector, TurnModel
from agora_rtc.agent.lexical_turn import LexicalTurnDetector, LexicalTurnModel
from agora_rtc.agent.smart_turn import SmartTurnDetector
from agora_rtc.agent.pool import ConnectionPool, PoolExhaustedError
from agora_rtc.agent.speech import (KeyphraseSpotter, TTSOptions, get_stt_model, get_tts_model,
                                    word_error_rate)
from agora_rtc.agent.stop_words import ReplyOnStopWords, StopWordDetector, StopWordHit
from agora_rtc.agent.stream_handler import AsyncStreamHandler, StreamHandler, wait_for_item
from agora_rtc.agent.text_segmenter import TextSegmenter, segment_text_stream, segment_text_stream_async
from agora_rtc.agent.turn_taking import ReplyOnPause, TurnEvent, pcm_chunk
from agora_rtc.agent.vad_timeline import VadTimeline, load_vad_dump, render_vad_timeline, write_png

__all__ = ["ReplyOnPause", "TurnEvent", "pcm_chunk", "AdditionalOutputs",
           "ReplyOnStopWords", "StopWordDetector", "StopWordHit",
           "StreamHandler", "AsyncStreamHandler", "wait_for_item",
           "get_stt_model", "get_tts_model", "TTSOptions", "KeyphraseSpotter", "word_error_rate",
           "EndOfTurnDetector", "AnswerAtVadStop", "ProsodyTurnDetector", "TurnModel",
           "LexicalTurnDetector", "LexicalTurnModel", "SmartTurnDetector", "TurnSoFar", "FrameLabels", "TURN_OVER", "WAIT",
           "TextSegmenter", "segment_text_stream", "segment_text_stream_async",
           "AudioModalityClient", "AudioModalityError", "TranscriptEvent", "AudioChunkEvent",
           "PlayResult", "parse_sse_events",
           "ConnectionPool", "PoolExhaustedError",
           "VadTimeline", "load_vad_dump", "render_vad_timeline", "write_png"]
