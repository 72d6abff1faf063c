// The browser side of examples/web_agent.py, on Debian's janus.js (1.1.2).
//
// The page joins the agent's VideoRoom as a WebRTC publisher (microphone, with echo
// cancellation, noise suppression and gain control off so the agent hears the raw voice,
// and the camera, VP8), subscribes to the agent's feed (a Janus remote publisher fed with
// plain RTP by the agent: Opus audio and, when the agent publishes video, VP8 or H.264 video),
// plays the audio and shows the video. With ?report=1 it POSTs its WebRTC statistics (getStats)
// and the level an AnalyserNode measures on the agent's audio to /report every 500 ms: the
// end-to-end test reads them (each RTP stream with its codec's mimeType and fmtp line).
// ?novideo=1 publishes the microphone only.
//
// Messages: the page publishes a data channel next to its microphone and subscribes to the
// agent's (Janus relays our publisher's data channel to the agent, the agent's stream
// messages to us with the agent's publisher id as the channel label). The agent sends JSON
// text: {"type": "state", "state": ...} and {"type": "transcript", "who": "you"|"agent",
// "text": ...}; the page shows them. The text box sends what you type as a text message. With
// "say" / "sayBinary" / "sayMetadata" in config.json (web_agent.py --say ...) the page types
// those lines and sends those bytes once the agent's state says it hears us ("hears" lists the
// users it reported joined: it does so only once Janus forwards their data to it).
//
// RTM (config.rtm, web_agent.py --rtm): the page is also an RTM client (rtm.js) of the app
// config.rtm.app as user "browser": it logs in, subscribes to config.rtm.channel with presence,
// says "hello" there every 500 ms until every member of config.rtm.members (the agent and an
// observer: the page subscribes to two members' data) welcomed it, then publishes config.rtm.say (text), a binary message,
// a 32 KiB binary message (rtmBig) and a user message to the agent; the report's "rtm" has
// what it received, and "done" once every answer and echo came back; then it unsubscribes.
"use strict";

const METADATA_TAG = [0xff, 0x61, 0x6d, 0x64];   // "\xffamd": audio metadata on the data channel

const params = new URLSearchParams(location.search);
const state = {
  janus: null, pub: null, sub: null, agentFeed: null, room: null, config: null,
  analyser: null, micAnalyser: null, peakLevel: 0, peakMicLevel: 0, events: [], errors: [],
  received: [], sent: [], agentState: null, pubDataOpen: false, said: false, agentHearsUs: false,
};

function hex(bytes) {
  return Array.from(new Uint8Array(bytes), (b) => b.toString(16).padStart(2, "0")).join("");
}

function unhex(text) {
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(text.substr(2 * i, 2), 16);
  return out;
}

function showTranscript(who, text) {
  const li = document.createElement("li");
  li.className = who;
  li.textContent = `${who === "agent" ? "Agent" : "You"}: ${text}`;
  document.getElementById("transcript").appendChild(li);
}

// A message of the agent (text: JSON; binary: the echo of ours).
async function onAgentData(data, label) {
  if (typeof data !== "string") {
    const bytes = data instanceof Blob ? await data.arrayBuffer() : data;
    state.received.push({ kind: "binary", data: hex(bytes), label });
    log(`binary message from ${label}: ${hex(bytes)}`);
  } else {
    state.received.push({ kind: "text", data, label });
    let msg = null;
    try { msg = JSON.parse(data); } catch (e) { log(`text from ${label}: ${data}`); }
    if (msg && msg.type === "state") {
      state.agentState = msg.state;
      if ((msg.hears || []).includes(state.config.display)) state.agentHearsUs = true;
      document.getElementById("state").textContent = msg.state;
    } else if (msg && msg.type === "transcript") {
      showTranscript(msg.who, msg.text);
    }
  }
  saySomething();
}

function sendMessage(payload, what) {
  if (!state.pub) return;
  const message = typeof payload === "string" ? { text: payload } : { data: payload.buffer };
  state.pub.data(Object.assign(message, {
    success: () => { state.sent.push(what); log(`sent ${what}`); },
    error: (e) => fail(`send ${what}`, e),
  }));
}

// The text box: what you type goes to the agent as a text message.
function sendTyped() {
  const box = document.getElementById("text");
  const text = box.value;
  if (!text) return;
  if (new TextEncoder().encode(text).length > 1024) {   // Agora's limit per stream message
    fail("send", "at most 1024 bytes (UTF-8) per message");
    return;
  }
  box.value = "";
  sendMessage(text, `text ${JSON.stringify(text)}`);
}

// config.say / sayBinary / sayMetadata, once both directions are up.
function saySomething() {
  if (state.said || !state.pubDataOpen || !state.agentHearsUs) return;
  state.said = true;
  const box = document.getElementById("text");
  for (const line of state.config.say || []) {
    box.value = line;
    document.getElementById("send").click();
  }
  for (const h of state.config.sayBinary || []) sendMessage(unhex(h), `binary ${h}`);
  for (const h of state.config.sayMetadata || []) {
    sendMessage(new Uint8Array([...METADATA_TAG, ...unhex(h)]), `metadata ${h}`);
  }
}

// ---- RTM (config.rtm) ----

const RTM_BINARY = new Uint8Array([0x00, 0x01, 0xfe, 0xff, 0x80]);

function rtmBig() {   // web_agent.py rtm_big_message()
  const out = new Uint8Array(32 * 1024);
  for (let i = 0; i < out.length; i++) out[i] = (i * 7 + 3) & 255;
  return out;
}

function sameBytes(a, b) {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function rtmCheckDone() {
  const r = state.rtm, cfg = state.config.rtm;
  const texts = r.received.filter((m) => m.channelType === "MESSAGE" && typeof m.text === "string").map((m) => m.text);
  const answered = cfg.say.every((t) => texts.includes(`You wrote: ${t}`));
  const binaries = r.received.filter((m) => m.channelType === "MESSAGE" && m.hex !== undefined);
  r.done = answered && binaries.some((m) => m.hex === hex(RTM_BINARY)) && r.bigEchoOk &&
           r.received.some((m) => m.channelType === "USER" && m.text === `just for you: ${cfg.say[0]}`);
  if (r.done && !r.unsubscribed) {   // and leave the channel: the agent sees us go
    r.unsubscribed = true;
    state.rtmClient.unsubscribe(cfg.channel);
  }
}

async function rtmSayAll() {
  const r = state.rtm, cfg = state.config.rtm, c = state.rtmClient;
  try {
    for (const line of cfg.say) { await c.publish(cfg.channel, line); r.sent.push(line); }
    await c.publish(cfg.channel, RTM_BINARY); r.sent.push(`binary ${hex(RTM_BINARY)}`);
    await c.publish(cfg.channel, rtmBig()); r.sent.push("big");
    await c.publish(cfg.agent, cfg.say[0], { channelType: "USER" }); r.sent.push(`user ${cfg.say[0]}`);
  } catch (e) { fail("rtm publish", String(e)); }
}

function onRtmMessage(e) {
  const r = state.rtm, cfg = state.config.rtm;
  const entry = { channelType: e.channelType, channelName: e.channelName, publisher: e.publisher,
                  messageType: e.messageType };
  if (typeof e.message === "string") entry.text = e.message;
  else if (e.message.length <= 64) entry.hex = hex(e.message);
  else { entry.size = e.message.length; r.bigEchoOk = sameBytes(e.message, rtmBig()); }
  r.received.push(entry);
  log(`rtm ${e.channelType} message from ${e.publisher}: ${entry.text || entry.hex || entry.size + " bytes"}`);
  if (entry.text === `welcome ${state.config.display}`) r.welcomedBy.add(e.publisher);
  if (!r.started && cfg.members.every((m) => r.welcomedBy.has(m))) {
    r.started = true;
    rtmSayAll();
  }
  rtmCheckDone();
}

async function startRtm() {
  const cfg = state.config.rtm;
  state.rtm = { received: [], presence: [], sent: [], links: [], done: false, started: false, bigEchoOk: false,
                welcomedBy: new Set() };
  const client = new RTM.RtmClient(state.janus, { appId: cfg.app, userId: state.config.display }, {
    onMessage: onRtmMessage,
    onPresence: (e) => { state.rtm.presence.push(e); log(`rtm presence ${e.type} ${e.publisher} ${e.users || ""}`); },
    onLinkState: (s) => state.rtm.links.push(s),
  });
  state.rtmClient = client;
  try {
    await client.login();
    await client.subscribe(cfg.channel, { withMessage: true, withPresence: true });
    log(`rtm: logged in to ${cfg.app}, subscribed to ${cfg.channel}`);
    // each side hears the other once Janus forwards its data: say hello until all welcomed us
    const hello = setInterval(() => {
      if (state.rtm.started) clearInterval(hello);
      else client.publish(cfg.channel, "hello").catch((e) => log(`rtm hello: ${e}`));
    }, 500);
  } catch (e) { fail("rtm", String(e)); }
}

function log(text) {
  const line = `${(performance.now() / 1000).toFixed(3)}s ${text}`;
  state.events.push(line);
  const el = document.getElementById("log");
  if (el) el.textContent += line + "\n";
  console.log(line);
}

function fail(what, err) {
  const text = `${what}: ${typeof err === "string" ? err : JSON.stringify(err)}`;
  state.errors.push(text);
  log("ERROR " + text);
}

// RMS of an analyser's current time-domain window, 0..1.
function level(analyser) {
  const buf = new Float32Array(analyser.fftSize);
  analyser.getFloatTimeDomainData(buf);
  let sum = 0;
  for (const x of buf) sum += x * x;
  return Math.sqrt(sum / buf.length);
}

let audioCtx = null;
function analyserFor(track) {
  if (!audioCtx) audioCtx = new AudioContext();
  const src = audioCtx.createMediaStreamSource(new MediaStream([track]));
  const an = audioCtx.createAnalyser();
  an.fftSize = 2048;
  src.connect(an);
  return an;
}

function meterLoop() {
  if (state.analyser) {
    const v = level(state.analyser);
    state.peakLevel = Math.max(state.peakLevel, v);
    document.getElementById("agent").value = Math.min(1, v * 4);
  }
  if (state.micAnalyser) {
    const v = level(state.micAnalyser);
    state.peakMicLevel = Math.max(state.peakMicLevel, v);
    document.getElementById("mic").value = Math.min(1, v * 4);
  }
  requestAnimationFrame(meterLoop);
}
// requestAnimationFrame does not run in hidden/headless pages reliably: sample on a timer too
setInterval(() => {
  if (state.analyser) state.peakLevel = Math.max(state.peakLevel, level(state.analyser));
  if (state.micAnalyser) state.peakMicLevel = Math.max(state.peakMicLevel, level(state.micAnalyser));
}, 20);

async function rtpStats(handle, type, kind = "audio") {
  const pc = handle && handle.webrtcStuff && handle.webrtcStuff.pc;
  if (!pc) return null;
  const report = await pc.getStats();
  let found = null;
  report.forEach((s) => {
    if (s.type === type && (s.kind === kind || s.mediaType === kind)) found = s;
  });
  if (!found) return null;
  const keep = ["packetsReceived", "packetsLost", "bytesReceived", "jitter", "audioLevel",
                "totalAudioEnergy", "totalSamplesDuration", "totalSamplesReceived",
                "concealedSamples", "packetsSent", "bytesSent", "ssrc", "codecId",
                "framesDecoded", "keyFramesDecoded", "framesReceived", "framesDropped",
                "frameWidth", "frameHeight", "pliCount", "firCount", "framesEncoded",
                "keyFramesEncoded", "framesSent", "jitterBufferDelay", "jitterBufferEmittedCount",
                "jitterBufferTargetDelay", "concealmentEvents", "insertedSamplesForDeceleration",
                "removedSamplesForAcceleration"];
  const out = {};
  for (const k of keep) if (found[k] !== undefined) out[k] = found[k];
  const codec = found.codecId && report.get(found.codecId);   // the negotiated codec in use
  if (codec) {
    out.mimeType = codec.mimeType;
    out.payloadType = codec.payloadType;
    if (codec.sdpFmtpLine) out.sdpFmtpLine = codec.sdpFmtpLine;
  }
  return out;
}

async function report() {
  const body = {
    time: performance.now() / 1000,
    published: !!(state.pub && state.pub.webrtcStuff && state.pub.webrtcStuff.pc),
    subscribedFeed: state.agentFeed,
    inbound: await rtpStats(state.sub, "inbound-rtp"),
    outbound: await rtpStats(state.pub, "outbound-rtp"),
    inboundVideo: await rtpStats(state.sub, "inbound-rtp", "video"),
    outboundVideo: await rtpStats(state.pub, "outbound-rtp", "video"),
    videoSize: state.videoSize,
    received: state.received,
    sent: state.sent,
    agentState: state.agentState,
    transcript: Array.from(document.querySelectorAll("#transcript li"), (li) => li.textContent),
    peakLevel: state.peakLevel,
    peakMicLevel: state.peakMicLevel,
    events: state.events.slice(-50),
    errors: state.errors,
    rtm: state.rtm && Object.assign({}, state.rtm, { welcomedBy: [...state.rtm.welcomedBy],
      dropped: state.rtmClient ? state.rtmClient.droppedMessages : 0,
      clientErrors: state.rtmClient ? state.rtmClient.errors : [] }),
  };
  try {
    await fetch("report", { method: "POST", headers: { "Content-Type": "application/json" },
                            body: JSON.stringify(body) });
  } catch (e) { /* the server is gone: the session is over */ }
}

function subscribe(feed) {
  if (state.sub) return;
  state.agentFeed = feed.id;
  log(`subscribing to the agent's feed ${feed.id} (${feed.display})`);
  state.janus.attach({
    plugin: "janus.plugin.videoroom",
    success: (handle) => {
      state.sub = handle;
      handle.send({ message: { request: "join", ptype: "subscriber", room: state.room,
                               streams: [{ feed: feed.id }] } });
    },
    error: (e) => fail("attach subscriber", e),
    onmessage: (msg, jsep) => {
      if (msg.error) fail("subscriber", msg.error);
      if (jsep) {
        state.sub.createAnswer({
          jsep,
          tracks: [{ type: "data" }],   // audio is accepted receive-only: we send nothing here
          success: (answer) => state.sub.send({ message: { request: "start", room: state.room },
                                                jsep: answer }),
          error: (e) => fail("createAnswer", e),
        });
      }
    },
    onremotetrack: (track, mid, on) => {
      if (on && track.kind === "video") {
        log(`agent video track ${mid} arrived`);
        const v = document.getElementById("agent-video");
        const current = v.srcObject && v.srcObject.getVideoTracks()[0];
        if (current && current.id === track.id) return;   // the same track again (renegotiation)
        v.srcObject = new MediaStream([track]);
        v.onresize = () => { state.videoSize = [v.videoWidth, v.videoHeight]; };
        // a newer srcObject interrupts the previous play(): not an error
        v.play().catch((e) => { if (e.name !== "AbortError") fail("play video", String(e)); });
        return;
      }
      if (!on || track.kind !== "audio") return;
      log(`agent audio track ${mid} arrived`);
      const el = document.getElementById("agent-audio");
      el.srcObject = new MediaStream([track]);   // Chrome only renders remote audio with a sink
      el.play().catch((e) => fail("play", String(e)));
      state.analyser = analyserFor(track);
    },
    ondataopen: (label) => log(`agent data channel ${label} open`),
    ondata: (data, label) => { onAgentData(data, label).catch((e) => fail("ondata", String(e))); },
    oncleanup: () => log("subscription closed"),
  });
}

function publishersSeen(list) {
  for (const p of list || []) {
    if (p.display === state.config.agent) subscribe(p);
  }
}

function publish() {
  const video = !params.has("novideo");
  const tracks = [{ type: "audio", recv: false,
                    capture: { echoCancellation: false, noiseSuppression: false, autoGainControl: false } }];
  if (video) tracks.push({ type: "video", recv: false, capture: { width: 320, height: 240 } });
  tracks.push({ type: "data" });   // our messages to the agent
  state.pub.createOffer({
    tracks,
    success: (jsep) => state.pub.send({ message: { request: "configure", audio: true, video },
                                        jsep }),
    error: (e) => fail("createOffer (microphone)", e),
  });
}

function start(config) {
  state.config = config;
  state.room = config.room;
  Janus.init({
    debug: params.has("debug") ? "all" : ["warn", "error"],
    dependencies: Janus.useDefaultDependencies(),
    callback: () => {
      state.janus = new Janus({
        server: config.janus,
        success: () => {
          if (config.rtm) startRtm();
          state.janus.attach({
            plugin: "janus.plugin.videoroom",
            success: (handle) => {
              state.pub = handle;
              handle.send({ message: { request: "join", ptype: "publisher", room: state.room,
                                       display: config.display } });
            },
            error: (e) => fail("attach publisher", e),
            onmessage: (msg, jsep) => {
              if (msg.error) fail("publisher", msg.error);
              if (msg.videoroom === "joined") {
                log(`joined room ${state.room} as ${msg.id}`);
                publish();
              }
              publishersSeen(msg.publishers);
              if (jsep) state.pub.handleRemoteJsep({ jsep });
            },
            onlocaltrack: (track, on) => {
              if (on && track.kind === "audio") {
                log("microphone captured");
                state.micAnalyser = analyserFor(track);
              }
            },
            ondataopen: () => { state.pubDataOpen = true; log("our data channel open"); saySomething(); },
            webrtcState: (up) => log(`publisher PeerConnection ${up ? "up" : "down"}`),
            iceState: (s) => log(`publisher ICE ${s}`),
          });
        },
        error: (e) => fail("janus session", e),
        destroyed: () => log("janus session destroyed"),
      });
    },
  });
}

window.addEventListener("load", async () => {
  const config = await (await fetch("config.json")).json();
  const startBtn = document.getElementById("start"), stopBtn = document.getElementById("stop");
  startBtn.onclick = () => {
    startBtn.disabled = true; stopBtn.disabled = false;
    if (audioCtx) audioCtx.resume();
    start(config);
  };
  stopBtn.onclick = () => { stopBtn.disabled = true; if (state.janus) state.janus.destroy(); };
  document.getElementById("send").onclick = sendTyped;
  document.getElementById("text").addEventListener("keydown", (e) => {
    if (e.key === "Enter") sendTyped();
  });
  requestAnimationFrame(meterLoop);
  if (params.has("report")) setInterval(report, 500);
  if (params.has("autostart")) startBtn.click();
});
