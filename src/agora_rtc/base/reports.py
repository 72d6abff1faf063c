"""Reports delivered to observers: connection info, statistics, volume
indications, probe results, capabilities. Plain mutable snapshots, safe to
keep. (:mod:`agora_rtc.stats` documents how the engine fills the statistics.)
Re-exported by :mod:`agora_rtc.agora_base`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

from agora_rtc.base.enums import ConnectionState

__all__ = [
    "RTCConnInfo", "RTCStats", "AudioVolumeInfo", "LocalAudioTrackStats", "LocalAudioStats",
    "RemoteAudioTrackStats", "LocalVideoTrackStats", "RemoteVideoTrackStats", "VideoTrackInfo",
    "RemoteVideoStreamInfo", "LastmileProbeOneWayResult", "LastmileProbeResult", "AnaStats",
    "AudioProcessingStats", "LocalAudioDetailedStats", "CapabilityItem", "CapabilityItemMap",
    "Capabilities",
]



@dataclass(kw_only=True)
class RTCConnInfo:
    """Connection information passed to ``IRTCConnectionObserver`` callbacks.

    Parameters
    ----------
    id : int
        Connection id, unique within the service.
    channel_id : str
        Channel joined (or being joined).
    state : int
        :class:`ConnectionState` value.
    local_user_id : str
        The local user's id.
    internal_uid : int
        Numeric uid the engine assigned.
    """

    id: int = 0
    channel_id: str = ""
    state: int = ConnectionState.CONNECTION_STATE_DISCONNECTED
    local_user_id: str = ""
    internal_uid: int = 0


@dataclass(kw_only=True)
class RTCStats:
    """Connection statistics (``IRTCConnectionObserver.on_transport_stats``).

    Byte counters are totals since join; ``*_k_bit_rate`` are Kbps; durations
    are seconds (``duration``) or ms; usages are percentages. Fields an engine
    does not measure stay 0.
    """

    connection_id: int = 0
    duration: int = 0
    tx_bytes: int = 0
    rx_bytes: int = 0
    tx_audio_bytes: int = 0
    tx_video_bytes: int = 0
    rx_audio_bytes: int = 0
    rx_video_bytes: int = 0
    tx_k_bit_rate: int = 0
    rx_k_bit_rate: int = 0
    rx_audio_k_bit_rate: int = 0
    tx_audio_k_bit_rate: int = 0
    rx_video_k_bit_rate: int = 0
    tx_video_k_bit_rate: int = 0
    lastmile_delay: int = 0
    user_count: int = 0
    cpu_app_usage: float = 0.0
    cpu_total_usage: float = 0.0
    gateway_rtt: int = 0
    memory_app_usage_ratio: float = 0.0
    memory_total_usage_ratio: float = 0.0
    memory_app_usage_in_kbytes: int = 0
    connect_time_ms: int = 0
    first_audio_packet_duration: int = 0
    first_video_packet_duration: int = 0
    first_video_key_frame_packet_duration: int = 0
    packets_before_first_key_frame_packet: int = 0
    first_audio_packet_duration_after_unmute: int = 0
    first_video_packet_duration_after_unmute: int = 0
    first_video_key_frame_packet_duration_after_unmute: int = 0
    first_video_key_frame_decoded_duration_after_unmute: int = 0
    first_video_key_frame_rendered_duration_after_unmute: int = 0
    tx_packet_loss_rate: int = 0
    rx_packet_loss_rate: int = 0


@dataclass(kw_only=True)
class AudioVolumeInfo:
    """One speaker of ``IRTCLocalUserObserver.on_audio_volume_indication``.

    Parameters
    ----------
    user_id : str
        The speaker (a str since SDK 2.1.2).
    volume : int
        0..255.
    vad : int
        1 when voice is detected (if ``report_vad`` was enabled).
    voice_pitch : float
        Hz, 0 when not voiced.
    """

    user_id: str = ""
    volume: int = 0
    vad: int = 0
    voice_pitch: float = 0.0


@dataclass(kw_only=True)
class LocalAudioTrackStats:
    """Statistics of the published audio track (``on_local_audio_track_statistics``).

    ``sent_bitrate`` is bits/s over the last stats interval; ``internal_codec``
    is an AudioCodecType (0 on the local network, where PCM travels as pushed).
    ``sent_frames`` (agora_rtc extension) counts the 10 ms frames handed to
    the transport since the connection was created. See :mod:`agora_rtc.stats`.
    """

    num_channels: int = 0
    sent_sample_rate: int = 0
    sent_bitrate: int = 0
    internal_codec: int = 0
    voice_pitch: float = 0.0
    sent_frames: int = 0


#: Name of :class:`LocalAudioTrackStats` before SDK 2.2.2.
LocalAudioStats = LocalAudioTrackStats


@dataclass(kw_only=True)
class RemoteAudioTrackStats:
    """Statistics of a remote user's audio track (snapshot; safe to keep).

    ``uid`` is the numeric user id (0 for string ids; ``user_id`` always has
    it). ``jitter_buffer_delay`` ms and ``audio_loss_rate`` % (over the last
    interval) are measured on the RTP transport, 0 on the local network.
    agora_rtc extensions: ``user_id``, ``received_frames`` (10 ms frames on the
    local network, packets decoded on RTP), ``lost_packets`` and
    ``concealed_frames`` (RTP), and the fate of every RTP audio packet
    received (0 on the local network), which add up:
    ``received_packets = keepalive_packets + played_packets + late_packets +
    duplicate_packets + dropped_packets + invalid_packets + buffered_packets``
    (``stale_packets``: of the late and dropped ones, those of a delay spike;
    ``fec_frames``: lost packets rebuilt from FEC, not received ones), and how
    the jitter buffer moves its delay (RTP): ``jitter_buffer_target`` ms (the
    delay it aims at: a high percentile of the packets' measured delay, at
    least 20 ms), ``accelerate_operations`` / ``expand_operations`` (decoded
    audio shortened / lengthened by a pitch period to move the delay towards
    the target without a gap), ``time_stretch_ms`` (their net effect on the
    delay, ms), ``jitter_buffer_delay_sum`` (ms, over ``played_packets``: each
    one's time from arrival to playout, as WebRTC's getStats
    ``jitterBufferDelay``; divide by ``played_packets`` for the mean),
    ``stretched_frames`` (concealment frames inserted to grow the
    delay; 0 since the RTP playout time-stretches) and ``shrunk_packets`` (of
    the dropped ones: buffered packets dropped to shrink it, only when the
    delay is far above the target).
    See :mod:`agora_rtc.stats`.
    """

    uid: int = 0
    quality: int = 0
    network_transport_delay: int = 0
    jitter_buffer_delay: int = 0
    audio_loss_rate: int = 0
    num_channels: int = 0
    received_sample_rate: int = 0
    received_bitrate: int = 0
    total_frozen_time: int = 0
    frozen_rate: int = 0
    received_bytes: int = 0
    user_id: str = ""
    received_frames: int = 0
    lost_packets: int = 0
    concealed_frames: int = 0
    received_packets: int = 0
    keepalive_packets: int = 0
    played_packets: int = 0
    late_packets: int = 0
    duplicate_packets: int = 0
    dropped_packets: int = 0
    invalid_packets: int = 0
    buffered_packets: int = 0
    stale_packets: int = 0
    fec_frames: int = 0
    jitter_buffer_target: int = 0
    stretched_frames: int = 0
    shrunk_packets: int = 0
    accelerate_operations: int = 0
    expand_operations: int = 0
    time_stretch_ms: int = 0
    jitter_buffer_delay_sum: int = 0


@dataclass(kw_only=True)
class LocalVideoTrackStats:
    """Statistics of the published video track."""

    number_of_streams: int = 0
    bytes_major_stream: int = 0
    bytes_minor_stream: int = 0
    frames_encoded: int = 0
    ssrc_major_stream: int = 0
    ssrc_minor_stream: int = 0
    capture_frame_rate: int = 0
    regulated_capture_frame_rate: int = 0
    input_frame_rate: int = 0
    encode_frame_rate: int = 0
    render_frame_rate: int = 0
    target_media_bitrate_bps: int = 0
    media_bitrate_bps: int = 0
    total_bitrate_bps: int = 0
    capture_width: int = 0
    capture_height: int = 0
    regulated_capture_width: int = 0
    regulated_capture_height: int = 0
    width: int = 0
    height: int = 0
    encoder_type: int = 0
    uplink_cost_time_ms: int = 0
    quality_adapt_indication: int = 0


@dataclass(kw_only=True)
class RemoteVideoTrackStats:
    """Statistics of a remote user's video track (snapshot; safe to keep)."""

    uid: int = 0
    delay: int = 0
    width: int = 0
    height: int = 0
    received_bitrate: int = 0
    decoder_output_frame_rate: int = 0
    renderer_output_frame_rate: int = 0
    frame_loss_rate: int = 0
    packet_loss_rate: int = 0
    rx_stream_type: int = 0
    total_frozen_time: int = 0
    frozen_rate: int = 0
    total_decoded_frames: int = 0
    av_sync_time_ms: int = 0
    downlink_process_time_ms: int = 0
    frame_render_delay_ms: int = 0
    total_active_time: int = 0
    publish_duration: int = 0


@dataclass(kw_only=True)
class VideoTrackInfo:
    """Description of a video track (video track callbacks)."""

    is_local: int = 0
    owner_uid: int = 0
    track_id: int = 0
    channel_id: str = ""
    stream_type: int = 0
    codec_type: int = 0
    encoded_frame_only: int = 0
    source_type: int = 0
    observation_position: int = 0


@dataclass(kw_only=True)
class RemoteVideoStreamInfo:
    """Downscale state of a remote video stream."""

    uid: int = 0
    stream_type: int = 0
    current_downscale_level: int = 0
    total_downscale_level_counts: int = 0


@dataclass(kw_only=True)
class LastmileProbeOneWayResult:
    """One direction of a last-mile probe."""

    packet_loss_rate: int = 0
    jitter: int = 0
    available_bandwidth: int = 0


@dataclass(kw_only=True)
class LastmileProbeResult:
    """Result of a last-mile network probe."""

    state: int = 0
    uplink_report: LastmileProbeOneWayResult = field(default_factory=LastmileProbeOneWayResult)
    downlink_report: LastmileProbeOneWayResult = field(default_factory=LastmileProbeOneWayResult)
    rtt: int = 0


@dataclass(kw_only=True)
class AnaStats:
    """Audio network adaptor counters (part of :class:`LocalAudioDetailedStats`)."""

    bitrate_action_counter: int = 0
    channel_action_counter: int = 0
    dtx_action_counter: int = 0
    fec_action_counter: int = 0
    frame_length_increase_counter: int = 0
    frame_length_decrease_counter: int = 0
    uplink_packet_loss_fraction: float = 0.0


@dataclass(kw_only=True)
class AudioProcessingStats:
    """Echo canceller statistics (part of :class:`LocalAudioDetailedStats`)."""

    echo_return_loss: float = 0.0
    echo_return_loss_enhancement: float = 0.0
    divergent_filter_fraction: float = 0.0
    delay_median_ms: int = 0
    delay_standard_deviation_ms: int = 0
    residual_echo_likelihood: float = 0.0
    residual_echo_likelihood_recent_max: float = 0.0
    delay_ms: int = 0


@dataclass(kw_only=True)
class LocalAudioDetailedStats:
    """Detailed send-side audio statistics."""

    local_ssrc: int = 0
    bytes_sent: int = 0
    packets_sent: int = 0
    packets_lost: int = 0
    fraction_lost: float = 0.0
    codec_name: str = ""
    codec_payload_type: int = 0
    ext_seqnum: int = 0
    jitter_ms: int = 0
    rtt_ms: int = 0
    audio_level: int = 0
    total_input_energy: float = 0.0
    total_input_duration: float = 0.0
    typing_noise_detected: int = 0
    ana_statistics: AnaStats = field(default_factory=AnaStats)
    apm_statistics: AudioProcessingStats = field(default_factory=AudioProcessingStats)


@dataclass(kw_only=True)
class CapabilityItem:
    """One capability reported by the engine."""

    id: int = 0
    name: str = ""


@dataclass(kw_only=True)
class CapabilityItemMap:
    """A list of :class:`CapabilityItem`."""

    item: list = field(default_factory=list)
    size: int = 0


@dataclass(kw_only=True)
class Capabilities:
    """Capabilities of one type (``on_capabilities_changed``)."""

    item_map: Optional[CapabilityItemMap] = None
    capability_type: int = 0
