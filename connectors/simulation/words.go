package simulation

// Word lists the generator draws names and texts from.
var (
	firstNames = []string{"Ada", "Ben", "Chloé", "Dmitri", "Emeka", "Fatima", "Grace", "Hiro", "Ines", "Jonas",
		"Keiko", "Liam", "Maya", "Noah", "Olga", "Priya", "Quentin", "Rosa", "Sven", "Tariq", "Uma", "Victor",
		"Wen", "Ximena", "Yusuf", "Zoe"}
	lastNames = []string{"Abara", "Berg", "Castillo", "Dubois", "Eriksen", "Fischer", "García", "Haddad", "Ito",
		"Jensen", "Kowalski", "Lindqvist", "Moreau", "Nakamura", "Okafor", "Patel", "Rossi", "Schmidt", "Tanaka",
		"Usman", "Varga", "Weber", "Yilmaz", "Zhang"}

	orgPrefixes = []string{"Acme", "Globex", "Initech", "Umbrella", "Stark", "Wayne", "Hooli", "Vandelay",
		"Soylent", "Tyrell", "Cyberdyne", "Wonka", "Aperture", "Massive", "Pied Piper", "Oscorp", "Gringotts",
		"Monarch", "Nakatomi", "Prestige"}
	orgSuffixes = []string{"Logistics", "Health", "Bank", "Retail", "Labs", "Media", "Energy", "Foods",
		"Insurance", "Travel", "Robotics", "Studios", "Pharma", "Telecom", "Capital"}

	bugAreas = []string{"CSV export", "SSO login", "Search", "Billing page", "Mobile sync", "Webhook delivery",
		"PDF report", "Dashboard", "Email digest", "File upload", "API pagination", "Calendar view",
		"Audit log", "Team invites", "Two-factor setup"}
	bugSymptoms = []string{"times out on large accounts", "fails with error 500", "shows stale data",
		"is slow since 4.2", "drops attachments", "crashes on iOS 17", "ignores the time zone",
		"duplicates entries", "returns 403 for admins", "loses unsaved changes", "renders blank in Safari",
		"sends everything twice"}

	// ticketSubjects frame a bug's summary the way a customer reports it.
	ticketSubjects = []string{"%s", "Urgent: %s", "%s again", "Since yesterday: %s", "Help! %s",
		"%s (blocking our team)"}
	// supportSubjects are the tickets that are about no bug.
	supportSubjects = []string{"How do I reset my password?", "Please update our invoice address",
		"Question about SSO setup", "Can we get a copy of our data?", "Add three seats to our plan",
		"Where do I find the API token?", "Feature request: dark mode", "Cancel my subscription",
		"Training session for new hires", "Is there a status page?"}
)
