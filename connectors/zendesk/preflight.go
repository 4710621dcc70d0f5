package zendesk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
)

// Check is one finding of Preflight: what was checked and, when it failed,
// why.
type Check struct {
	Name string // "connection", "credentials", "admin", "keys_field", "status_field", "tier_field"
	Err  error
}

// textTypes are ticket field types whose value the engine can read as keys
// or write a status into.
var textTypes = []string{"text", "textarea"}

// Preflight checks, with read-only requests, that the account accepts the
// credentials, that the API user is an admin (the incremental export is
// admin-only), and that the configured ticket and organization fields exist
// and are active fields of a fitting type. It costs at most five requests. When the
// first request fails, that is the only check: "credentials" when Zendesk
// refused them, "connection" when no Zendesk answered (refused, unknown
// host, a page that is not the API, a server error).
func (c *Client) Preflight(ctx context.Context) []Check {
	me, err := c.me(ctx)
	if err != nil {
		name := "connection"
		if e := (*Error)(nil); errors.As(err, &e) && (e.Status == http.StatusUnauthorized || e.Status == http.StatusForbidden) {
			name = "credentials"
		}
		return []Check{{Name: name, Err: err}}
	}
	checks := []Check{{Name: "credentials"}}
	admin := Check{Name: "admin"}
	if me.Role != "admin" {
		admin.Err = fmt.Errorf("zendesk: the API user %d has role %q; the incremental ticket export is admin-only: use an admin's API token", me.ID, me.Role)
	}
	checks = append(checks, admin)
	if c.keysField != 0 {
		checks = append(checks, Check{Name: "keys_field", Err: c.checkTicketField(ctx, c.keysField, "bug keys")})
	}
	if c.statusFld != 0 {
		checks = append(checks, Check{Name: "status_field", Err: c.checkTicketField(ctx, c.statusFld, "bug status")})
	}
	if c.tierField != "" {
		checks = append(checks, Check{Name: "tier_field", Err: c.checkOrgField(ctx)})
	}
	if c.revenueField != "" {
		checks = append(checks, Check{Name: "revenue_field", Err: c.checkRevenueField(ctx)})
	}
	return checks
}

type meWire struct {
	ID   int64  `json:"id"`
	Role string `json:"role"`
}

func (c *Client) me(ctx context.Context) (meWire, error) {
	const op = "read the API user (GET /users/me)"
	body, err := c.api.Get(ctx, "/users/me.json")
	if err != nil {
		return meWire{}, requestError(op, err)
	}
	var doc struct {
		User meWire `json:"user"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		return meWire{}, decodeError(op, body, err)
	}
	// Zendesk answers /users/me for a request it could not authenticate
	// with an anonymous user (id null) rather than 401.
	if doc.User.ID == 0 {
		return meWire{}, &Error{Op: op, Status: 401, Message: "the credentials were not accepted (anonymous user)", kind: kindOf(401)}
	}
	return doc.User, nil
}

func (c *Client) checkTicketField(ctx context.Context, id int64, purpose string) error {
	f, err := c.api.GetTicketField(ctx, id)
	if err != nil {
		return requestError(fmt.Sprintf("read the %s ticket field %d", purpose, id), err)
	}
	switch {
	case !f.Active:
		return fmt.Errorf("zendesk: the %s ticket field %d (%q) is inactive; activate it in Admin Center > Objects and rules > Tickets > Fields", purpose, id, f.Title)
	case !slices.Contains(textTypes, f.Type):
		return fmt.Errorf("zendesk: the %s ticket field %d (%q) is of type %q; it must be a text field (one of %v)", purpose, id, f.Title, f.Type, textTypes)
	}
	return nil
}

func (c *Client) checkOrgField(ctx context.Context) error {
	fields, _, err := c.api.GetOrganizationFields(ctx)
	if err != nil {
		return requestError("list organization fields", err)
	}
	var keys []string
	for _, f := range fields {
		if f.Key == c.tierField {
			if !f.Active {
				return fmt.Errorf("zendesk: the organization field %q is inactive", c.tierField)
			}
			return nil
		}
		keys = append(keys, f.Key)
	}
	return fmt.Errorf("zendesk: no organization field has the key %q (keys: %v); create a dropdown organization field with that key, or fix the tier field setting", c.tierField, keys)
}
