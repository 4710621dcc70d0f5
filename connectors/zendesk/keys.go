package zendesk

import (
	"context"
	"errors"
	"fmt"

	"github.com/helpdesk-sync/helpdesk-sync/sync/engine"
)

// maxKeysEditTries bounds the re-reads when an agent edits the ticket
// between the read and the write of EditKeysField.
const maxKeysEditTries = 3

// EditKeysField rewrites the keys field (Options.KeysFieldID) of a ticket:
// it reads the ticket, calls edit with the field's current text, and
// writes what edit returns when it differs, with safe_update on the
// ticket's update time, so that an agent's edit made meanwhile is never
// overwritten: the write is retried from a fresh read instead. It returns
// the text written (or found unchanged). A ticket that does not exist wraps
// engine.ErrNotFound; without a keys field it wraps engine.ErrPermanent.
func (c *Client) EditKeysField(ctx context.Context, ticketID int64, edit func(current string) string) (string, error) {
	op := fmt.Sprintf("edit the keys field of ticket %d", ticketID)
	if c.keysField == 0 {
		return "", &Error{Op: op, Message: "no keys field is configured (zendesk.keys_field_id)", kind: engine.ErrPermanent}
	}
	for try := 1; ; try++ {
		ts, err := c.Tickets(ctx, []int64{ticketID})
		if err != nil {
			return "", err
		}
		if len(ts) != 1 || ts[0].ID != ticketID {
			return "", &Error{Op: op, Message: "the ticket does not exist", kind: engine.ErrNotFound}
		}
		cur := ts[0].KeysField
		next := edit(cur)
		if next == cur {
			return cur, nil
		}
		f := fieldOut{ID: c.keysField}
		if next != "" {
			f.Value = &next
		}
		err = c.safeUpdate(ctx, engine.TicketUpdate{ID: ticketID, UpdatedStamp: ts[0].UpdatedAt}, ticketOut{CustomFields: []fieldOut{f}})
		if err == nil {
			return next, nil
		}
		if !errors.Is(err, engine.ErrConflict) || try == maxKeysEditTries {
			return "", err
		}
	}
}
