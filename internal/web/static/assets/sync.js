// The live side of the page: one WebSocket to /ws speaking sync protocol v1
// (docs/protocol.md). It authenticates with the in-memory access token,
// reconnects by itself with capped, jittered backoff, and refreshes the token
// first when the server said it had expired.

const PING_EVERY = 25_000; // well inside any idle timeout worth having
const SILENT_FOR = 60_000; // no message at all for this long: the link is dead
const MAX_BACKOFF = 15_000;

export class Sync {
  /**
   * @param {object} o
   * @param {() => Promise<string>} o.token a valid access token
   * @param {() => Promise<string>} o.refresh a freshly refreshed one
   * @param {(state: "live"|"connecting"|"offline") => void} o.onState
   * @param {(msg: object) => void} o.onPush progress_broadcast and progress_deleted
   * @param {() => void} o.onLive after each auth_ok: catch up on what was missed
   * @param {(err: Error) => void} o.onSessionLost the token could not be refreshed
   */
  constructor(o) {
    this.o = o;
    this.ws = null;
    this.running = false;
    this.attempt = 0;
    this.timer = 0;
    this.waiting = false; // a retry is scheduled
    this.pinger = 0;
    this.staleToken = false;
    this.lastHeard = 0;
    this.onOnline = () => this.now();
    this.onVisible = () => {
      if (document.visibilityState === "visible") this.now();
    };
  }

  start() {
    if (this.running) return;
    this.running = true;
    window.addEventListener("online", this.onOnline);
    document.addEventListener("visibilitychange", this.onVisible);
    this.connect();
  }

  stop() {
    this.running = false;
    this.waiting = false;
    window.removeEventListener("online", this.onOnline);
    document.removeEventListener("visibilitychange", this.onVisible);
    clearTimeout(this.timer);
    clearInterval(this.pinger);
    if (this.ws) {
      const ws = this.ws;
      this.ws = null;
      ws.close(1000, "logged out");
    }
    this.o.onState("offline");
  }

  /** Reconnects at once when waiting for a retry (the network is back). */
  now() {
    if (this.running && this.waiting) {
      clearTimeout(this.timer);
      this.waiting = false;
      this.attempt = 0;
      this.connect();
    }
  }

  async connect() {
    if (!this.running) return;
    this.o.onState("connecting");
    let token;
    try {
      token = this.staleToken ? await this.o.refresh() : await this.o.token();
      this.staleToken = false;
    } catch (err) {
      if (err && err.status === 401) {
        this.o.onSessionLost(err);
        return;
      }
      this.retry(); // the server is away: try again later
      return;
    }
    if (!this.running) return;
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    const ws = new WebSocket(scheme + location.host + "/ws");
    this.ws = ws;
    ws.onmessage = (ev) => {
      if (this.ws !== ws) return;
      this.lastHeard = Date.now();
      let msg;
      try {
        msg = JSON.parse(ev.data);
      } catch {
        return;
      }
      this.handle(ws, msg, token);
    };
    ws.onclose = () => {
      if (this.ws !== ws) return;
      this.ws = null;
      clearInterval(this.pinger);
      if (this.running) this.retry();
    };
  }

  handle(ws, msg, token) {
    switch (msg.type) {
      case "auth_required":
        ws.send(JSON.stringify({ type: "auth", token }));
        break;
      case "auth_ok":
        this.attempt = 0;
        this.o.onState("live");
        this.keepAlive(ws);
        this.o.onLive();
        break;
      case "progress_broadcast":
      case "progress_deleted":
        this.o.onPush(msg);
        break;
      case "error":
        // The server closes after these; the next attempt refreshes first.
        if (msg.code === "token_expired" || msg.code === "auth_failed") this.staleToken = true;
        break;
      default: // pong, shutdown (a close follows), replies we did not ask for
    }
  }

  keepAlive(ws) {
    clearInterval(this.pinger);
    this.pinger = setInterval(() => {
      if (this.ws !== ws) return;
      if (Date.now() - this.lastHeard > SILENT_FOR) {
        ws.close(4000, "no answer");
        return;
      }
      ws.send(JSON.stringify({ type: "ping", id: "keepalive" }));
    }, PING_EVERY);
  }

  retry() {
    this.o.onState("connecting");
    const base = Math.min(MAX_BACKOFF, 500 * 2 ** this.attempt);
    this.attempt = Math.min(this.attempt + 1, 10);
    clearTimeout(this.timer);
    this.waiting = true;
    this.timer = setTimeout(() => {
      this.waiting = false;
      this.connect();
    }, base / 2 + Math.random() * (base / 2));
  }
}
