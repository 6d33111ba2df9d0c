// What closing the window does while the rule editor holds unsaved changes: the page's
// beforeunload makes Electron ask main (`will-prevent-unload`); main asks the user. Without
// this Electron silently keeps the page, and Quit would never finish.

export const discardChangesDialog = {
  type: 'warning',
  buttons: ['Discard changes', 'Keep editing'],
  defaultId: 1,
  cancelId: 1,
  title: 'Unsaved rule changes',
  message: 'Discard your unsaved rule changes?',
  detail: 'The rule editor has changes that are not saved to the config file yet.',
} as const;

/** Lets the page unload when the user chose to discard (button 0). */
export function settleUnload(event: { preventDefault(): void }, choice: number): void {
  // In will-prevent-unload, preventDefault() means "unload anyway".
  if (choice === 0) event.preventDefault();
}
