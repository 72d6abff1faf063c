// A browser as an RTM client of agora_rtc through Janus (janus.js 1.1.2, no other
// dependency). It speaks what agora_rtc.rtm speaks through Janus
// (src/agora_rtc/rtm/janus_net.py and envelope.py): login joins the app's lobby room
// "rtm.<app id>" (its members are the logged-in users; user messages travel there),
// each subscribed channel is the room "rtm.<app id>.<channel>" (its members are the
// subscribers). In each room the page is a VideoRoom publisher with a data channel
// only (what it sends reaches every member: Janus relays it to the browsers that
// subscribe to it and rtp_forwards it to the agents) and a subscriber of every other
// member's data (Janus relays it on one data channel, labelled with the sender's
// publisher id). A message is 1..33 datagrams of at most 1024 bytes:
// version 2 | sequence (u32 BE) | index | count | a slice of the body, the body being
// kind (1 channel, 3 user) | message type (0 binary, 1 string) | len(to) | to |
// len(custom type) | custom type | payload; datagrams are paced under Agora's
// stream-message limits (which agents apply on arrival), and a message of which a
// datagram is missing is dropped and counted (droppedMessages).
//
//   const rtm = new RTM.RtmClient(janus, { appId, userId }, {
//     onMessage(e) {},    // {channelType: "MESSAGE"|"USER", channelName, publisher, message
//                         //  (string for STRING, Uint8Array for BINARY), messageType, customType}
//     onPresence(e) {},   // {type: "SNAPSHOT"|"REMOTE_JOIN"|"REMOTE_LEAVE", channelName, publisher, users}
//     onLinkState(s) {},  // "CONNECTED" at login, "DISCONNECTED" at logout (a lost Janus
//                         //  session is the page's to see: janus.js's error / destroyed)
//   });
//   await rtm.login(); await rtm.subscribe("chat", { withMessage: true, withPresence: true });
//   await rtm.publish("chat", "hello"); await rtm.publish("agent", bytes, { channelType: "USER" });
//
// Janus creates no room for a browser (creating one needs the VideoRoom admin key): a
// room exists once an agent logged in (the lobby) or subscribed to the channel.
"use strict";

const RTM = (() => {
  const VERSION = 2, HEAD = 7, DATAGRAM = 1024, FRAGMENT = DATAGRAM - HEAD;
  const MAX_MESSAGE = 32 * 1024, MAX_NAME = 64, MAX_CUSTOM = 32;
  const MAX_FRAGMENTS = Math.ceil((5 + MAX_NAME + MAX_CUSTOM + MAX_MESSAGE) / FRAGMENT);
  const MAX_GAP = 1024, MAX_SENDERS = 64, NEGOTIATION_MS = 10000;   // a larger sequence jump is a sender that started anew (not counted)
  const KIND = { MESSAGE: 1, USER: 3 }, STRING = 1, BINARY = 0;
  const BYTES_PER_SEC = 24 * 1024, BURST_BYTES = 4 * 1024, DATAGRAMS_PER_SEC = 50, BURST_DATAGRAMS = 5;
  const CONTROL_PREFIX = "agora-rtc-control:";
  const utf8 = new TextEncoder(), fromUtf8 = new TextDecoder("utf-8", { fatal: true });

  // The numeric Janus id of a channel or user id (agora_rtc.janus.link.janus_id).
  function janusId(value) {
    if (/^[0-9]+$/.test(value) && Number(value) > 0 && Number(value) < 2 ** 53) return Number(value);
    let h = 0xcbf29ce484222325n;
    for (const b of utf8.encode(value)) h = ((h ^ BigInt(b)) * 0x100000001b3n) & 0xffffffffffffffffn;
    return Number(h >> 12n) || 1;
  }

  function check(what, name, value, max) {
    if (typeof value !== "string") throw new TypeError(`${what}: ${name} must be a string`);
    const n = utf8.encode(value).length;
    if (n < 1 || n > max) throw new RangeError(`${what}: ${name} must be 1..${max} bytes, got ${n}`);
  }

  function encode(seq, kind, type, to, custom, payload) {
    const t = utf8.encode(to), c = utf8.encode(custom);
    const body = new Uint8Array(4 + t.length + c.length + payload.length);
    body.set([kind, type, t.length]); body.set(t, 3); body[3 + t.length] = c.length;
    body.set(c, 4 + t.length); body.set(payload, 4 + t.length + c.length);
    const count = Math.max(1, Math.ceil(body.length / FRAGMENT)), out = [];
    for (let i = 0; i < count; i++) {
      const slice = body.subarray(i * FRAGMENT, (i + 1) * FRAGMENT);
      const d = new Uint8Array(HEAD + slice.length);
      new DataView(d.buffer).setUint32(1, seq >>> 0);
      d[0] = VERSION; d[5] = i; d[6] = count; d.set(slice, HEAD);
      out.push(d);
    }
    return out;
  }

  function decodeBody(body) {
    if (body.length < 4) return null;
    const n = body[2];
    if (body.length < 4 + n) return null;
    const m = body[3 + n];
    if (body.length < 4 + n + m) return null;
    try {
      const to = fromUtf8.decode(body.subarray(3, 3 + n)), custom = fromUtf8.decode(body.subarray(4 + n, 4 + n + m));
      return { kind: body[0], type: body[1], to, custom, payload: body.slice(4 + n + m) };
    } catch (e) { return null; }   // not UTF-8
  }

  // One room's datagrams back into messages, per sender (as envelope.Reassembler).
  class Reassembler {
    constructor(deliver) { this.deliver = deliver; this.partial = new Map(); this.next = new Map();
                           this.lastLost = new Map(); this.dropped = 0; this.malformed = 0; }
    forget(sender) { if (this.partial.delete(sender)) this.dropped++; this.next.delete(sender); this.lastLost.delete(sender); }
    lost(sender, seq) {   // counted once, whatever else of that message comes
      if (this.lastLost.get(sender) !== seq) { this.lastLost.set(sender, seq); this.dropped++; }
    }
    push(sender, d) {
      if (d.length <= HEAD || d.length > DATAGRAM) { this.malformed++; return; }
      const seq = new DataView(d.buffer, d.byteOffset).getUint32(1), index = d[5], count = d[6];
      if (d[0] !== VERSION || count === 0 || count > MAX_FRAGMENTS || index >= count) { this.malformed++; return; }
      let p = this.partial.get(sender);
      if (!(p && p.seq === seq && p.parts.length === index && p.count === count)) {
        if (p) { this.partial.delete(sender); this.lost(sender, p.seq); }   // its next fragment never came
        if (index !== 0) { this.lost(sender, seq); this.next.set(sender, (seq + 1) >>> 0); return; }
        const expected = this.next.get(sender);
        const skipped = expected === undefined ? 0 : (seq - expected) >>> 0;
        if (skipped <= MAX_GAP) this.dropped += skipped;   // messages of which nothing came
        this.next.set(sender, (seq + 1) >>> 0);
        p = { seq, count, parts: [] };
        this.partial.set(sender, p);
        if (this.partial.size > MAX_SENDERS) {   // bounded: the oldest sender's is dropped
          this.partial.delete(this.partial.keys().next().value);
          this.dropped++;
        }
      }
      p.parts.push(d.slice(HEAD));
      if (p.parts.length < p.count) return;
      this.partial.delete(sender);
      const body = new Uint8Array(p.parts.reduce((n, x) => n + x.length, 0));
      let at = 0;
      for (const x of p.parts) { body.set(x, at); at += x.length; }
      const msg = decodeBody(body);
      if (msg) this.deliver(sender, msg); else this.malformed++;
    }
  }

  // Sends datagrams in order under a token bucket (as agora_rtc.rtm.paced_sender).
  class Pacer {
    constructor() { this.queue = []; this.bytes = BURST_BYTES; this.count = BURST_DATAGRAMS;
                    this.last = performance.now(); this.timer = null; }
    send(handle, datagrams) {
      return new Promise((resolve, reject) => {
        datagrams.forEach((d, i) => this.queue.push({ handle, d, done: i === datagrams.length - 1 ? resolve : null, reject }));
        this.pump();
      });
    }
    pump() {
      if (this.timer) return;
      while (this.queue.length) {
        const now = performance.now(), dt = (now - this.last) / 1000;
        this.last = now;
        this.bytes = Math.min(BURST_BYTES, this.bytes + dt * BYTES_PER_SEC);
        this.count = Math.min(BURST_DATAGRAMS, this.count + dt * DATAGRAMS_PER_SEC);
        const item = this.queue[0];
        if (this.bytes < item.d.length || this.count < 1) {
          const wait = Math.max((item.d.length - this.bytes) / BYTES_PER_SEC, (1 - this.count) / DATAGRAMS_PER_SEC);
          this.timer = setTimeout(() => { this.timer = null; this.pump(); }, Math.max(1, wait * 1000));
          return;
        }
        this.queue.shift();
        this.bytes -= item.d.length; this.count -= 1;
        item.handle.data({ data: item.d.buffer, success: () => item.done && item.done(),
                           error: (e) => item.reject(new Error(`data channel: ${e}`)) });
      }
    }
  }

  function attach(janus, callbacks) {
    return new Promise((resolve, reject) => janus.attach(Object.assign({
      plugin: "janus.plugin.videoroom", success: resolve, error: reject }, callbacks)));
  }

  // One room: our publisher (a data channel) and a subscriber of the others' data.
  class Room {
    constructor(client, name, channel) {
      this.client = client; this.name = name; this.channel = channel; this.id = janusId(name);
      this.members = new Map();     // publisher id -> user id
      this.seq = 0; this.pub = null; this.sub = null; this.subscribed = new Set();
      this.subChain = Promise.resolve(); this.negotiation = null;
      this.reassembler = new Reassembler((sender, msg) => client._message(this, sender, msg));
    }

    async join() {
      const me = this.client.userId;
      let joined, opened;
      const ready = new Promise((resolve, reject) => { joined = { resolve, reject }; });
      const open = new Promise((resolve) => { opened = resolve; });
      this.pub = await attach(this.client.janus, {
        onmessage: (msg, jsep) => {
          if (msg.error) joined.reject(new Error(`${this.name}: ${msg.error}`));
          if (msg.videoroom === "joined") {
            this.pub.createOffer({ tracks: [{ type: "data" }],
              success: (offer) => this.pub.send({ message: { request: "configure", audio: false, video: false, data: true }, jsep: offer }),
              error: (e) => joined.reject(e) });
          }
          for (const p of msg.publishers || []) this._joined(p);
          if (msg.unpublished !== undefined) this._left(msg.unpublished);
          if (msg.leaving !== undefined) this._left(msg.leaving);
          if (jsep) this.pub.handleRemoteJsep({ jsep });
          if (msg.configured === "ok") joined.resolve();
        },
        ondataopen: () => opened(),
      });
      this.pub.send({ message: { request: "join", ptype: "publisher", room: this.id, id: janusId(me), display: me } });
      await ready;
      await open;
    }

    _joined(p) {
      if (!p.display || p.display.startsWith(CONTROL_PREFIX) || p.id === janusId(this.client.userId)) return;
      const data = (p.streams || []).find((s) => s.type === "data" && !s.disabled);
      const known = this.members.has(p.id);
      this.members.set(p.id, p.display);
      if (data) this._want(p.id, data.mid);
      if (!known && this.channel) this.client._presence(this, "REMOTE_JOIN", p.display);
    }

    _left(pid) {
      const user = this.members.get(pid);
      if (user === undefined) return;
      this.members.delete(pid);
      this.reassembler.forget(String(pid));
      this.subscribed.delete(pid);
      if (this.channel) this.client._presence(this, "REMOTE_LEAVE", user);
    }

    // Subscribe to a member's data: one subscriber handle per room, one request at a time
    // (each waits until its offer was answered, or NEGOTIATION_MS), in the order wanted.
    _want(pid, mid) {
      if (this.subscribed.has(pid)) return;
      this.subscribed.add(pid);
      this.subChain = this.subChain.then(() => this._subscribe([{ feed: pid, mid }]))
        .catch((e) => this.client._error(`${this.name} subscribe ${pid}: ${e}`));
    }

    async _subscribe(streams) {
      const answered = new Promise((resolve, reject) => {
        this.negotiation = { resolve, reject };
        setTimeout(() => reject(new Error("no offer from Janus")), NEGOTIATION_MS);
      });
      if (!this.sub) {
        this.sub = await attach(this.client.janus, {
          onmessage: (msg, jsep) => {
            const n = this.negotiation;
            if (msg.error && n) n.reject(new Error(msg.error));
            if (!jsep) return;   // an offer: ours, or Janus's after a publisher left
            this.sub.createAnswer({ jsep, tracks: [{ type: "data" }],
              success: (answer) => {
                this.sub.send({ message: { request: "start" }, jsep: answer });
                if (n) n.resolve();
              },
              error: (e) => { if (n) n.reject(e); } });
          },
          ondata: (data, label) => this._data(data, label),
        });
        this.sub.send({ message: { request: "join", ptype: "subscriber", room: this.id, streams } });
      } else {
        this.sub.send({ message: { request: "subscribe", streams } });
      }
      try { await answered; } finally { this.negotiation = null; }
    }

    async _data(data, label) {
      let bytes;
      if (typeof data === "string") bytes = utf8.encode(data);   // Janus relayed it as text
      else bytes = new Uint8Array(data instanceof Blob ? await data.arrayBuffer() : data);
      const sender = this.members.get(Number(label));
      if (sender !== undefined) this.reassembler.push(String(label), bytes);
    }

    send(kind, type, to, custom, payload) {
      return this.client.pacer.send(this.pub, encode(this.seq++, kind, type, to, custom, payload));
    }

    leave() {
      for (const h of [this.sub, this.pub]) if (h) h.detach();
      this.sub = this.pub = null;
    }
  }

  class RtmClient {
    constructor(janus, { appId, userId }, handlers = {}) {
      check("RtmClient", "appId", appId, MAX_NAME);
      check("RtmClient", "userId", userId, MAX_NAME);
      this.janus = janus; this.appId = appId; this.userId = userId; this.handlers = handlers;
      this.lobby = null; this.channels = new Map(); this.pacer = new Pacer(); this.errors = [];
    }

    get droppedMessages() {
      return [this.lobby, ...this.channels.values()].reduce((n, r) => n + (r ? r.reassembler.dropped : 0), 0);
    }

    async login() {
      if (this.lobby) throw new Error("login: already logged in");
      const lobby = new Room(this, `rtm.${this.appId}`, null);
      await lobby.join();
      this.lobby = lobby;
      this._emit("onLinkState", "CONNECTED");
    }

    async subscribe(channel, { withMessage = true, withPresence = false } = {}) {
      check("subscribe", "channel", channel, MAX_NAME);
      if (!this.lobby) throw new Error("subscribe: not logged in");
      if (this.channels.has(channel)) throw new Error(`subscribe: already subscribed to ${channel}`);
      const room = new Room(this, `rtm.${this.appId}.${channel}`, channel);
      room.options = { withMessage, withPresence };
      this.channels.set(channel, room);
      await room.join();
      if (withPresence) {
        this._emit("onPresence", { type: "SNAPSHOT", channelName: channel, publisher: "",
                                   users: [this.userId, ...room.members.values()] });
      }
    }

    unsubscribe(channel) {
      const room = this.channels.get(channel);
      if (!room) throw new Error(`unsubscribe: not subscribed to ${channel}`);
      this.channels.delete(channel);
      room.leave();
    }

    // message: a string (STRING) or a Uint8Array (BINARY); options.channelType "MESSAGE" (a
    // subscribed channel) or "USER" (channel = the user id). Resolves once every datagram left.
    publish(channel, message, { channelType = "MESSAGE", customType = "" } = {}) {
      check("publish", "channel", channel, MAX_NAME);
      const string = typeof message === "string";
      if (!string && !(message instanceof Uint8Array)) throw new TypeError("publish: message must be a string or a Uint8Array");
      const payload = string ? utf8.encode(message) : message;
      if (payload.length < 1 || payload.length > MAX_MESSAGE) {
        throw new RangeError(`publish: a message is 1..${MAX_MESSAGE} bytes, got ${payload.length}`);
      }
      if (utf8.encode(customType).length > MAX_CUSTOM) throw new RangeError(`publish: customType is at most ${MAX_CUSTOM} bytes`);
      const type = string ? STRING : BINARY;
      if (channelType === "USER") {
        if (!this.lobby) return Promise.reject(new Error("publish: not logged in"));
        if (![...this.lobby.members.values()].includes(channel)) {
          return Promise.reject(new Error(`publish: ${channel} is offline`));
        }
        return this.lobby.send(KIND.USER, type, channel, customType, payload);
      }
      const room = this.channels.get(channel);
      if (!room) return Promise.reject(new Error(`publish: not subscribed to ${channel}`));
      return room.send(KIND.MESSAGE, type, "", customType, payload);
    }

    logout() {
      for (const room of this.channels.values()) room.leave();
      this.channels.clear();
      if (this.lobby) this.lobby.leave();
      this.lobby = null;
      this._emit("onLinkState", "DISCONNECTED");
    }

    _message(room, sender, msg) {
      const publisher = room.members.get(Number(sender));
      const message = msg.type === STRING ? new TextDecoder().decode(msg.payload) : msg.payload;
      const event = { channelType: null, channelName: "", publisher, message, messageType: msg.type === STRING ? "STRING" : "BINARY",
                      customType: msg.custom };
      if (room === this.lobby && msg.kind === KIND.USER && msg.to === this.userId) {
        this._emit("onMessage", Object.assign(event, { channelType: "USER", channelName: publisher }));
      } else if (room.channel && msg.kind === KIND.MESSAGE && room.options.withMessage) {
        this._emit("onMessage", Object.assign(event, { channelType: "MESSAGE", channelName: room.channel }));
      }
    }

    _presence(room, type, publisher) {
      if (room.options && room.options.withPresence) {
        this._emit("onPresence", { type, channelName: room.channel, publisher, users: null });
      }
    }

    _error(text) { this.errors.push(text); }

    _emit(name, arg) {
      try { if (this.handlers[name]) this.handlers[name](arg); } catch (e) { this._error(`${name}: ${e}`); }
    }
  }

  return { RtmClient, janusId, encode, Reassembler, MAX_MESSAGE };
})();
