package zendesk

import (
	"bytes"
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"strconv"
)

// AppPublicKey reads the public key Zendesk signs app appID's tokens with,
// GET /api/v2/apps/{app_id}/public_key.pem
// (https://developer.zendesk.com/api-reference/ticketing/apps/apps/#get-app-public-key).
// Zendesk serves it to anonymous users; the request goes through the
// client's own transport all the same, so retries and rate limits apply.
func (c *Client) AppPublicKey(ctx context.Context, appID int64) (*rsa.PublicKey, error) {
	op := "read the public key of app " + strconv.FormatInt(appID, 10)
	if appID <= 0 {
		return nil, &Error{Op: op, Message: "app id must be positive"}
	}
	body, err := c.api.Get(ctx, "/apps/"+strconv.FormatInt(appID, 10)+"/public_key.pem")
	if err != nil {
		return nil, requestError(op, err)
	}
	key, err := ParseAppPublicKey(body)
	if err != nil {
		return nil, decodeError(op, body, err)
	}
	return key, nil
}

// ParseAppPublicKey reads an RSA public key of at least 2048 bits from
// PEM ("PUBLIC KEY" or "RSA PUBLIC KEY"). The API reference shows the
// body as a JSON string holding the PEM; that form is accepted too.
func ParseAppPublicKey(body []byte) (*rsa.PublicKey, error) {
	body = bytes.TrimSpace(body)
	if len(body) > 0 && body[0] == '"' {
		var s string
		if err := json.Unmarshal(body, &s); err != nil {
			return nil, fmt.Errorf("public key: JSON string: %w", err)
		}
		body = []byte(s)
	}
	block, _ := pem.Decode(body)
	if block == nil {
		return nil, errors.New("public key: no PEM block")
	}
	var key any
	var err error
	switch block.Type {
	case "PUBLIC KEY":
		key, err = x509.ParsePKIXPublicKey(block.Bytes)
	case "RSA PUBLIC KEY":
		key, err = x509.ParsePKCS1PublicKey(block.Bytes)
	default:
		return nil, fmt.Errorf("public key: PEM block %q: want PUBLIC KEY", block.Type)
	}
	if err != nil {
		return nil, fmt.Errorf("public key: %w", err)
	}
	rsaKey, ok := key.(*rsa.PublicKey)
	if !ok {
		return nil, fmt.Errorf("public key: %T: want RSA (Zendesk signs RS256)", key)
	}
	if rsaKey.N.BitLen() < 2048 {
		return nil, fmt.Errorf("public key: %d bits: want at least 2048", rsaKey.N.BitLen())
	}
	return rsaKey, nil
}
