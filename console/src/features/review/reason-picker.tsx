import { useId, useMemo, useState, type KeyboardEvent } from 'react';
import { reasonFits, type ModeratorDecision, type PolicyReasonChoice } from './decisions';

/**
 * The tenant's policy reasons that fit the decision, as a list to choose from with the arrow keys
 * (Enter or Space chooses), and a field for the moderator's own words when none fits. Choosing
 * one clears the other: a decision carries exactly one reason. Nothing is chosen for them.
 */
export function ReasonPicker({
  reasons,
  decision,
  chosenId,
  ownText,
  onChooseListed,
  onOwnText,
  onChosen,
  listRef,
}: {
  reasons: PolicyReasonChoice[];
  decision: ModeratorDecision | null;
  chosenId: string | null;
  ownText: string;
  onChooseListed: (reason: PolicyReasonChoice) => void;
  onOwnText: (text: string) => void;
  /** After a listed reason is chosen from the keyboard (the panel moves the focus on). */
  onChosen: () => void;
  listRef: React.RefObject<HTMLUListElement | null>;
}) {
  const id = useId();
  const fitting = useMemo(
    () => (decision ? reasons.filter((reason) => reasonFits(reason, decision)) : reasons),
    [reasons, decision],
  );
  const [active, setActive] = useState(0);
  const activeIndex = Math.min(active, Math.max(fitting.length - 1, 0));
  const optionId = (index: number) => `${id}-option-${index}`;

  function onKeyDown(event: KeyboardEvent<HTMLUListElement>) {
    // The keys the list handles are its own; the others (D, V, E, S, U) still reach the page.
    const handled = () => {
      event.preventDefault();
      event.stopPropagation();
    };
    const move = (to: number) => {
      handled();
      setActive(Math.max(0, Math.min(to, fitting.length - 1)));
    };
    if (event.key === 'ArrowDown') move(activeIndex + 1);
    else if (event.key === 'ArrowUp') move(activeIndex - 1);
    else if (event.key === 'Home') move(0);
    else if (event.key === 'End') move(fitting.length - 1);
    else if (event.key === 'Enter' || event.key === ' ') {
      handled();
      const reason = fitting[activeIndex];
      if (reason) {
        onChooseListed(reason);
        onChosen();
      }
    }
  }

  return (
    <fieldset className="reason-picker">
      <legend id={`${id}-legend`}>
        Reason {decision ? <span className="muted">(fits this decision)</span> : null}
      </legend>
      {fitting.length === 0 ? (
        <p className="muted small">
          {reasons.length === 0
            ? 'Your tenant has no policy reasons listed: type your own below.'
            : 'No listed reason fits this decision: type your own below.'}
        </p>
      ) : (
        <ul
          ref={listRef}
          role="listbox"
          tabIndex={0}
          aria-labelledby={`${id}-legend`}
          aria-activedescendant={optionId(activeIndex)}
          className="reason-list"
          onKeyDown={onKeyDown}
        >
          {fitting.map((reason, index) => (
            <li
              key={reason.id}
              id={optionId(index)}
              role="option"
              aria-selected={reason.id === chosenId}
              className={index === activeIndex ? 'active' : undefined}
              onClick={() => {
                setActive(index);
                onChooseListed(reason);
              }}
            >
              <span className="reason-label">{reason.label}</span>
              {reason.policy && <span className="muted small">{reason.policy}</span>}
            </li>
          ))}
        </ul>
      )}
      <label>
        Or in your own words
        <input
          value={ownText}
          maxLength={1000}
          onChange={(event) => onOwnText(event.target.value)}
          placeholder="Why this decision, when no listed reason fits"
        />
      </label>
    </fieldset>
  );
}
