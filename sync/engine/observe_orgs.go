package engine

import (
	"context"
	"fmt"
	"time"

	"go.uber.org/zap"
)

// An organization's tier or revenue changes what every bug it waits on
// counts, but editing an organization changes none of its tickets: the
// ticket export does not carry it. The leader reads the helpdesk's
// organization export instead, at most once per Options.OrganizationCheck
// and only while tiers or revenue count (an installation that counts
// neither reads none). Each changed organization goes through the store
// as the ticket export's sideloaded ones do (CommitOrganizationPage): the
// bugs it waits on are marked due when its tier or revenue changed.

// OrganizationPage is one page of the helpdesk's organization export:
// the organizations changed since the page's start, and Cursor, where the
// next read starts, to persist once the page is recorded. Done reports
// that the export has caught up with the present.
type OrganizationPage struct {
	Organizations []Organization
	Cursor        time.Time
	Done          bool
}

// OrganizationExport is the organization export's position: Cursor is
// where its next read starts, Checked when the last pass that read to the
// present began (zero for both before the first pass).
type OrganizationExport struct {
	Cursor  time.Time
	Checked time.Time
}

// OrganizationPageCommit is what one page of the organization export
// changes; the store applies it atomically, cursor included.
type OrganizationPageCommit struct {
	Organizations []Organization
	Cursor        time.Time // zero leaves the cursor as is
	Checked       time.Time // zero leaves the check time as is
	Now           time.Time // the due time of the bugs marked
}

// organizationsCount reports whether organizations' fields change what
// bugs count: tiers weigh customers, or revenue is counted.
func (p Policy) organizationsCount() bool {
	return p.Weighted() || p.Revenue.Enabled
}

// organizationCheckDue reports whether the export last read to the
// present at checked is read again at now.
func organizationCheckDue(checked time.Time, every time.Duration, now time.Time) bool {
	return !checked.IsZero() && !now.Before(checked.Add(every))
}

// checkOrganizations is the leader's periodic read of the organization
// export. The first pass reads nothing and starts the export now: until
// then, every organization a bug waits on was read with its tickets or
// by id. A pass that fails leaves the check time as is, so the next
// cycle tries again from the last page recorded.
func (e *Engine) checkOrganizations(ctx context.Context, t *tally) error {
	if !e.policy.organizationsCount() {
		return nil
	}
	x, err := e.st.OrganizationExport(ctx)
	if err != nil {
		return err
	}
	now := e.now()
	if x.Checked.IsZero() {
		if _, err := e.st.CommitOrganizationPage(ctx, OrganizationPageCommit{Cursor: now, Checked: now, Now: now}); err != nil {
			return err
		}
		e.log.Info("organization export started", zap.Time("since", now), zap.Duration("every", e.opts.OrganizationCheck))
		return nil
	}
	if !organizationCheckDue(x.Checked, e.opts.OrganizationCheck, now) {
		return nil
	}
	pages, read, queued := 0, 0, 0
	err = e.hd.ChangedOrganizations(ctx, x.Cursor, func(ctx context.Context, p OrganizationPage) error {
		pages++
		c := OrganizationPageCommit{Organizations: p.Organizations, Cursor: p.Cursor, Now: e.dueNow()}
		if p.Done {
			c.Checked = now
		}
		n, err := e.st.CommitOrganizationPage(ctx, c)
		if err != nil {
			return err
		}
		read += len(p.Organizations)
		queued += n
		return nil
	})
	t.add(func(r *Report) {
		r.OrganizationsRead += read
		r.OrganizationBugsQueued += queued
	})
	fields := []zap.Field{zap.Int("pages", pages), zap.Int("organizations", read),
		zap.Int("bugs_queued", queued), zap.Time("since", x.Cursor), zap.Duration("took", e.now().Sub(now))}
	if err != nil {
		e.log.Warn("organization export failed", append(fields, zap.Error(err))...)
		return fmt.Errorf("engine: read the organizations changed since %s: %w", x.Cursor.Format(time.RFC3339), err)
	}
	e.log.Info("organization export read", fields...)
	return nil
}
