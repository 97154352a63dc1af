// The signed-in session: the pass pair, shared by the tabs of this browser (localStorage), renewed
// before it expires. Renewal spends the refresh token, and two tabs renewing one login at once
// would end it (the service takes the loser for a thief): a Web Lock lets one tab renew and the
// others pick up its new pair.
import * as api from "./api.js";

const KEY = "golden-path.session";
const LOCK = "golden-path.renew";
const RENEW_AT = 0.75; // of the pass's lifetime

function stored() {
  try {
    return JSON.parse(localStorage.getItem(KEY) || "null");
  } catch {
    return null;
  }
}

async function exclusively(task) {
  return navigator.locks ? navigator.locks.request(LOCK, task) : task();
}

export class Session {
  constructor({ onEnded }) {
    this.onEnded = onEnded; // the session ended elsewhere or could not be renewed
    this.state = stored();
    this.timer = null;
  }

  get signedIn() {
    return this.state !== null;
  }

  get pass() {
    return this.state?.access_token ?? null;
  }

  get profile() {
    return this.state ? { email: this.state.email, name: this.state.name } : null;
  }

  async signIn(email, password) {
    const pair = await api.login(email, password);
    const profile = await api.me(pair.access_token);
    this.adopt({ ...pair, email: profile.email, name: profile.name });
  }

  adopt(pair) {
    const lifetime = Number(pair.expires_in) || 900;
    this.state = {
      access_token: pair.access_token,
      refresh_token: pair.refresh_token,
      expires_at: Date.now() + lifetime * 1000,
      lifetime,
      email: pair.email ?? this.state?.email,
      name: pair.name ?? this.state?.name,
    };
    localStorage.setItem(KEY, JSON.stringify(this.state));
    this.schedule();
  }

  schedule() {
    clearTimeout(this.timer);
    if (!this.state) return;
    const renewAt = this.state.expires_at - this.state.lifetime * 1000 * (1 - RENEW_AT);
    this.timer = setTimeout(() => this.renew().catch(() => {}), Math.max(0, renewAt - Date.now()));
  }

  // True when a fresh pass is in hand; false when the session is over (signed out, revoked).
  // Throws ApiError (status 0 or 503) when the service cannot say.
  async renew() {
    const mine = this.state;
    if (!mine) return false;
    return exclusively(async () => {
      const now = stored();
      if (now && now.refresh_token !== mine.refresh_token && now.expires_at > Date.now()) {
        this.state = now; // another tab renewed it meanwhile
        this.schedule();
        return true;
      }
      try {
        this.adopt(await api.refresh(mine.refresh_token));
        return true;
      } catch (error) {
        if (error.status === 401) {
          this.end();
          return false;
        }
        throw error;
      }
    });
  }

  // Run an API call with the pass; an expired pass is renewed once.
  async authed(request) {
    try {
      return await request(this.pass);
    } catch (error) {
      if (error.status !== 401 || !(await this.renew())) throw error;
      return request(this.pass);
    }
  }

  async signOut() {
    const pass = this.pass;
    this.forget();
    if (pass) await api.logout(pass).catch(() => {});
  }

  end() {
    this.forget();
    this.onEnded();
  }

  forget() {
    clearTimeout(this.timer);
    if (this.state && stored()?.refresh_token === this.state.refresh_token) {
      localStorage.removeItem(KEY);
    }
    this.state = null;
  }
}
