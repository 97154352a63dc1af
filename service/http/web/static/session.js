// The signed-in session. The access pass lives in this tab's memory only; the renewal pass is a
// cookie the service sets and only the browser can read (HttpOnly, sent to the renewal route
// alone), shared by the browser's tabs. So a reload, or a new tab, renews from the cookie.
// Renewal spends the cookie's pass, and two tabs renewing at once would end the sign-in (the
// service takes the loser for a thief): a Web Lock makes the tabs renew one after the other, each
// with the cookie its predecessor left.
import * as api from "./api.js";

const LOCK = "golden-path.renew";
const RENEW_AT = 0.75; // of the pass's lifetime

async function exclusively(task) {
  return navigator.locks ? navigator.locks.request(LOCK, task) : task();
}

export class Session {
  constructor({ onEnded }) {
    this.onEnded = onEnded; // the session ended elsewhere or could not be renewed
    this.state = null;
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
    await this.start(await api.login(email, password));
  }

  // On page load: signed in again from the cookie (true), or not signed in (false). Throws
  // ApiError (status 0 or 503) when the service cannot say.
  async resume() {
    let pass;
    try {
      pass = await exclusively(() => api.refresh());
    } catch (error) {
      if (error.status === 401 || error.status === 403) return false;
      throw error;
    }
    await this.start(pass);
    return true;
  }

  async start(pass) {
    const profile = await api.me(pass.access_token);
    this.adopt({ ...pass, email: profile.email, name: profile.name });
  }

  adopt(pass) {
    const lifetime = Number(pass.expires_in) || 900;
    this.state = {
      access_token: pass.access_token,
      expires_at: Date.now() + lifetime * 1000,
      lifetime,
      email: pass.email ?? this.state?.email,
      name: pass.name ?? this.state?.name,
    };
    this.schedule();
  }

  schedule() {
    clearTimeout(this.timer);
    if (!this.state) return;
    const renewAt = this.state.expires_at - this.state.lifetime * 1000 * (1 - RENEW_AT);
    this.timer = setTimeout(() => this.renew().catch(() => {}), Math.max(0, renewAt - Date.now()));
  }

  // True when a fresh pass is in hand; false when the session is over (signed out, revoked,
  // past its end). Throws ApiError (status 0 or 503) when the service cannot say.
  async renew() {
    if (!this.state) return false;
    return exclusively(async () => {
      if (!this.state) return false;
      try {
        this.adopt(await api.refresh());
        return true;
      } catch (error) {
        if (error.status === 401 || error.status === 403) {
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

  // Ends the sign-in at the service (which also clears the cookie) and forgets the pass. False
  // when the service could not be told (it keeps the sign-in until it can).
  async signOut() {
    let told = true;
    if (this.state) {
      try {
        await this.authed((pass) => api.logout(pass));
      } catch (error) {
        told = error.status === 401; // already over
      }
    }
    this.forget();
    return told;
  }

  end() {
    this.forget();
    this.onEnded();
  }

  forget() {
    clearTimeout(this.timer);
    this.state = null;
  }
}
