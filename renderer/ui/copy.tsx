// Copying text through main (the page has no clipboard permission): a copy button that says
// it worked (or not) to sight and to screen readers, and a command line shown with one.
import { useEffect, useState, type ReactElement } from 'react';
import { invoke } from '../api';
import { Icon } from './icons';

export function CopyButton({ text, label, children }: { text: string; label: string; children?: string }): ReactElement {
  const [copied, setCopied] = useState<'yes' | 'failed' | null>(null);
  useEffect(() => {
    if (!copied) return;
    const t = setTimeout(() => setCopied(null), 1500);
    return () => clearTimeout(t);
  }, [copied]);
  const copy = async (): Promise<void> => setCopied((await invoke('app.copyText', text)).ok ? 'yes' : 'failed');
  return (
    <>
      <button type="button" className={children ? 'button button-small' : 'icon-button'} aria-label={children ? undefined : label}
        title={label} onClick={() => void copy()}>
        <Icon name={copied === 'yes' ? 'check' : 'copy'} />{children && ` ${children}`}
      </button>
      <span className="sr-only" role="status">{copied === 'yes' ? 'Copied' : copied === 'failed' ? 'Could not copy' : ''}</span>
    </>
  );
}

/** A shell command on one line, scrollable sideways when long, with its copy button. */
export function CommandLine({ command, label }: { command: string; label: string }): ReactElement {
  return (
    <div className="command">
      {/* Focusable: a long command scrolls sideways, and the keyboard must reach it. */}
      <code className="command-text" tabIndex={0} title={label}>{command}</code>
      <CopyButton text={command} label={`Copy: ${command}`} />
    </div>
  );
}
