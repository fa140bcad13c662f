/** What a rule's action does, in words. */
export function describeAction(action: Record<string, unknown>): string {
  switch (action.type) {
    case 'review':
      return `review in “${String(action.queue ?? 'default')}”, priority ${String(action.priority ?? 50)}`;
    case 'alert':
      return `alert (${String(action.severity ?? 'high')})`;
    case 'webhook':
      return `webhook ${String(action.event ?? 'rule.fired')}`;
    case 'autoDismiss':
      return `auto-dismiss below ${String(action.belowConfidence)}`;
    default:
      return String(action.type ?? '—');
  }
}
