import { useState } from 'react';
import { toast } from 'sonner';
import { useMutation, useQuery } from 'urql';
import { describeError } from '../../api/errors';
import { formatTime } from '../../lib/format';
import { AddReviewNoteMutation, ReviewNotesQuery } from './review.documents';

/** Notes on the item, newest first, and (for those who work reviews) a field to add one. */
export function ReviewNotes({ reviewItemId, canWrite }: { reviewItemId: string; canWrite: boolean }) {
  const [{ data, fetching }, refetch] = useQuery({
    query: ReviewNotesQuery,
    variables: { id: reviewItemId },
  });
  const [adding, add] = useMutation(AddReviewNoteMutation);
  const [text, setText] = useState('');
  const notes = data?.reviewNotes ?? [];

  async function submit() {
    if (!text.trim()) return;
    const result = await add({ id: reviewItemId, text: text.trim() });
    if (result.error) {
      toast.error(describeError(result.error));
      return;
    }
    setText('');
    refetch({ requestPolicy: 'network-only' });
  }

  return (
    <section className="card" aria-labelledby="notes-title">
      <h2 id="notes-title">Notes</h2>
      {canWrite && (
        <form
          className="note-form"
          onSubmit={(event) => {
            event.preventDefault();
            void submit();
          }}
        >
          <label>
            Add a note for other moderators and the record
            <textarea rows={2} maxLength={5000} value={text} onChange={(e) => setText(e.target.value)} />
          </label>
          <button type="submit" disabled={adding.fetching || !text.trim()}>
            Add note
          </button>
        </form>
      )}
      {notes.length === 0 ? (
        <p className="muted small">{fetching ? 'Loading…' : 'No notes yet.'}</p>
      ) : (
        <ul className="notes-list">
          {notes.map((note) => (
            <li key={note.id}>
              <p>{note.text}</p>
              <p className="muted small">
                {note.authorName ?? (note.authorType === 'apiKey' ? 'an API key' : 'a former user')} ·{' '}
                {formatTime(note.createdAt)}
              </p>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
