-- ARGV[3]: a page of the organization export as JSON (see orgPage in
-- orgs.go). Records its organizations as recordOrgs does for the export,
-- then moves the export's position; returns the number of bugs marked.
local page = cjson.decode(ARGV[3])
local marked = recordOrgs(page.orgs, page.orgTTL, true)
if page.cursor then redis.call('HSET', P .. 'org-export', 'cursor', page.cursor) end
if page.checked then redis.call('HSET', P .. 'org-export', 'checked', page.checked) end
return marked
