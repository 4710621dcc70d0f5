package slack

import (
	"strconv"
	"strings"
)

// Message is the JSON body of an incoming-webhook post. Text is required
// even with blocks: Slack shows it in notifications and where blocks
// cannot be rendered.
type Message struct {
	Text   string  `json:"text"`
	Blocks []Block `json:"blocks,omitempty"`
}

// Block is one Block Kit layout block of the kinds the builders use:
// header (Text, plain_text), section (Text and/or Fields, mrkdwn), context
// (Elements) and divider (nothing).
type Block struct {
	Type     string `json:"type"`
	Text     *Text  `json:"text,omitempty"`
	Fields   []Text `json:"fields,omitempty"`
	Elements []Text `json:"elements,omitempty"`
}

// Text is a Block Kit text object.
type Text struct {
	Type string `json:"type"` // "plain_text" or "mrkdwn"
	Text string `json:"text"`
}

func header(s string) Block {
	return Block{Type: "header", Text: &Text{Type: "plain_text", Text: clipPlain(s, MaxHeaderText)}}
}

// section takes mrkdwn that is already escaped, cut at a line if too long.
func section(mrkdwn string) Block {
	return Block{Type: "section", Text: &Text{Type: "mrkdwn", Text: joinLines(strings.Split(mrkdwn, "\n"), MaxSectionText)}}
}

func contextBlock(items ...string) Block {
	b := Block{Type: "context"}
	for i, it := range items {
		if i == MaxContextItems {
			break
		}
		b.Elements = append(b.Elements, Text{Type: "mrkdwn", Text: joinLines(strings.Split(it, "\n"), MaxSectionText)})
	}
	return b
}

func divider() Block { return Block{Type: "divider"} }

// finish caps the blocks, leaving room for the Sender's repeat note, and
// the fallback text.
func finish(text string, blocks ...Block) Message {
	if len(blocks) > MaxBlocks-1 {
		blocks = blocks[:MaxBlocks-1]
	}
	return Message{Text: joinLines(strings.Split(text, "\n"), MaxFallbackText), Blocks: blocks}
}

// withRepeatNote is m with a context block saying it may repeat an
// earlier post, for a resend after an interrupted delivery.
func withRepeatNote(m Message) Message {
	note := contextBlock(":repeat: Possibly a repeat: an earlier delivery of this notice was interrupted.")
	out := Message{Text: m.Text, Blocks: append([]Block(nil), m.Blocks...)}
	if len(out.Blocks) >= MaxBlocks {
		out.Blocks = out.Blocks[:MaxBlocks-1]
	}
	out.Blocks = append(out.Blocks, note)
	return out
}

func itoa(n int) string { return strconv.Itoa(n) }
