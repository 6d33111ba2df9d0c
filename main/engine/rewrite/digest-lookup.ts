// Makes `docker run ubuntu@sha256:…` and `docker image inspect ubuntu@sha256:…` work after a
// redirected digest pull: digests cannot be tagged, so when the original is absent locally
// the request is pointed at the mirror's reference with the same digest (same content).
// Only ever rewrites digest references, and only to a digest that is present.
import type { Config } from '#shared/config/schema';
import { parseNormalizedNamed, referenceString, type Reference } from '#shared/reference';
import { planPull } from '#shared/rules/plan';
import { imagePresent } from './engine-images';
import type { InterceptContext, InterceptOutcome, Interceptor, InterceptedRequest } from '../proxy/proxy';

export function createDigestLookup(opts: { config: () => Config }): Interceptor {
  return {
    wants: (route, head) =>
      (route.route === 'create container' && head.method === 'POST') ||
      (route.route === 'inspect image' && head.method === 'GET' && (route.image ?? '').includes('@')),
    async handle(req, ctx): Promise<InterceptOutcome> {
      const unchanged: InterceptOutcome = { kind: 'forward', head: req.head, body: req.body.length ? req.body : undefined };
      if (req.route.route === 'inspect image') {
        const mapped = await mirrorWithDigest(req.route.image!, req, ctx, opts.config());
        if (!mapped) return unchanged;
        const target = req.head.target.replace(`/images/${req.route.image}/json`, `/images/${mapped}/json`);
        return { kind: 'forward', head: { ...req.head, target } };
      }
      let body: { Image?: unknown };
      try {
        body = JSON.parse(req.body.toString('utf8')) as { Image?: unknown };
      } catch {
        return unchanged;
      }
      if (typeof body.Image !== 'string' || !body.Image.includes('@')) return unchanged;
      const mapped = await mirrorWithDigest(body.Image, req, ctx, opts.config());
      if (!mapped) return unchanged;
      return { kind: 'forward', head: req.head, body: Buffer.from(JSON.stringify({ ...body, Image: mapped })) };
    },
  };
}

async function mirrorWithDigest(image: string, req: InterceptedRequest, ctx: InterceptContext, config: Config): Promise<string | null> {
  let ref: Reference;
  try {
    ref = parseNormalizedNamed(image);
  } catch {
    return null;
  }
  if (!ref.digest) return null;
  const prefix = req.route.apiVersion ? `/v${req.route.apiVersion}` : '';
  if (await imagePresent(ctx.engine, prefix, image)) return null;
  const plan = planPull({ domain: ref.domain, path: ref.path, digest: ref.digest }, config);
  if (plan.kind !== 'mirror') return null;
  for (const candidate of plan.candidates) {
    if (candidate.kind !== 'mirror' || candidate.ref === null) continue;
    const mirrorRef = referenceString(candidate.ref);
    if (await imagePresent(ctx.engine, prefix, mirrorRef)) {
      req.entry.rewrite = {
        original: referenceString(ref), action: 'pass', candidates: [], retag: [], untag: [], mappedTo: mirrorRef,
        rule: { index: plan.match.index, from: plan.match.rule.from, name: plan.match.rule.name, ...(plan.match.cache ? { cache: plan.match.cache } : {}) },
      };
      ctx.updated();
      return mirrorRef;
    }
  }
  return null;
}
