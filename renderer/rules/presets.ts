// Ready-made rules the first-run checklist and the empty rule list offer. Each is a complete
// draft rule; the user still reviews and saves it.
import type { MirrorRule } from '#shared/config/schema';
import { newMirrorRule } from './draft';

export interface RulePreset {
  id: string;
  label: string;
  rule: MirrorRule;
}

export const rulePresets: readonly RulePreset[] = [
  { id: 'hub-mirror', label: 'Docker Hub → a mirror you name', rule: { ...newMirrorRule('docker.io'), name: 'Docker Hub mirror' } },
  {
    id: 'hub-local-registry',
    label: 'Docker Hub → a local registry:2 at localhost:5000',
    rule: { ...newMirrorRule('docker.io'), to: ['localhost:5000'], name: 'Docker Hub via local registry' },
  },
];
