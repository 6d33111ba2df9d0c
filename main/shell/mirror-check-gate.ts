// Which mirror locations the app's pages may have main probe ("Check mirror"): those in the
// saved rules and in the rule editor's draft as main last received it, at a bounded rate.
// The draft can only come from the page, so a compromised page could name any host in it:
// the rate is what bounds it (a few GETs of `/v2/` a minute, never with credentials, the
// answer reduced to reachable / needs login / unreachable). Never admits a location that is
// in neither set. Pure: the clock is passed in.

export interface CheckLimits {
  /** Probes of any location per minute. */
  perMinute: number;
  /** Probes of locations that are only in the draft (not saved yet) per minute. */
  unsavedPerMinute: number;
}

export const CHECK_LIMITS: CheckLimits = { perMinute: 60, unsavedPerMinute: 10 };

const MINUTE_MS = 60_000;

export class MirrorCheckGate {
  private draft: ReadonlySet<string> = new Set();
  /** When each admitted probe was made in the last minute, and whether its location was only in the draft. */
  private recent: { at: number; unsaved: boolean }[] = [];

  constructor(private readonly limits: CheckLimits = CHECK_LIMITS, private readonly now: () => number = Date.now) {}

  /** The rule editor's draft mirror locations, replacing the ones it reported before. */
  setDraft(mirrors: readonly string[]): void {
    this.draft = new Set(mirrors);
  }

  /** Takes one probe of `location` from the budget and returns null, or says why it may not be probed now. */
  admit(location: string, saved: ReadonlySet<string>): string | null {
    const unsaved = !saved.has(location);
    if (unsaved && !this.draft.has(location)) {
      return `${location} is not a mirror in the saved rules or in the rules being edited, so it is not checked: add it to a rule first`;
    }
    const at = this.now();
    this.recent = this.recent.filter((probe) => at - probe.at < MINUTE_MS);
    const refused = this.overLimit(this.recent, this.limits.perMinute, at, `mirror checks are limited to ${this.limits.perMinute} a minute`, '')
      ?? (unsaved ? this.overLimit(this.recent.filter((probe) => probe.unsaved), this.limits.unsavedPerMinute, at,
        `checks of mirrors that are not saved yet are limited to ${this.limits.unsavedPerMinute} a minute`, ', or save the rules first') : null);
    if (refused !== null) return `${location} was not checked: ${refused}`;
    this.recent.push({ at, unsaved });
    return null;
  }

  private overLimit(probes: { at: number }[], limit: number, at: number, what: string, hint: string): string | null {
    if (probes.length < limit) return null;
    return `${what}; try again in ${Math.ceil((probes[0]!.at + MINUTE_MS - at) / 1000)} s${hint}`;
  }
}
