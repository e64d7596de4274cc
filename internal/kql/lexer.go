package kql

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

type tokKind uint8

const (
	tEOF      tokKind = iota
	tIdent            // identifiers, keywords, $left/$right, and !word / word~ operators
	tString           // text is the decoded value
	tLong             // text is the literal
	tReal             // text is the literal
	tTimeSpan         // val is the ticks
	tDateTime         // datetime(...): text is what is inside the parentheses
	tTimeLit          // time(...) or timespan(...): text is what is inside
	tPunct            // operators and punctuation
)

func (k tokKind) String() string {
	switch k {
	case tEOF:
		return "end of query"
	case tIdent:
		return "name"
	case tString:
		return "string"
	case tLong, tReal:
		return "number"
	case tTimeSpan, tTimeLit:
		return "timespan"
	case tDateTime:
		return "datetime"
	}
	return "punctuation"
}

type token struct {
	kind  tokKind
	text  string
	val   int64
	pos   Pos
	off   int  // byte offset of the first character
	end   int  // byte offset after the last character
	space bool // whitespace or a comment comes right before it
}

// describe names the token for error messages.
func (t token) describe() string {
	switch t.kind {
	case tEOF:
		return "end of query"
	case tString:
		return "string " + quote(t.text)
	case tDateTime:
		return "datetime(" + t.text + ")"
	}
	return "'" + t.text + "'"
}

type lexer struct {
	src       string
	i         int
	line, col int
	toks      []token
	space     bool
}

// maxTokens bounds the work on a hostile query.
const maxTokens = 1 << 20

// lex splits src into tokens, ending with a tEOF token.
func lex(src string) ([]token, error) {
	lx := &lexer{src: src, line: 1, col: 1}
	for {
		if err := lx.skipSpace(); err != nil {
			return nil, err
		}
		if lx.i >= len(lx.src) {
			lx.toks = append(lx.toks, token{kind: tEOF, pos: lx.pos(), off: lx.i, end: lx.i, space: lx.space})
			return lx.toks, nil
		}
		if len(lx.toks) >= maxTokens {
			return nil, syntaxErrorf(lx.pos(), "query too long (more than %d tokens)", maxTokens)
		}
		if err := lx.next(); err != nil {
			return nil, err
		}
	}
}

func (lx *lexer) pos() Pos { return Pos{Line: lx.line, Col: lx.col} }

// advance moves over n bytes, keeping line and column.
func (lx *lexer) advance(n int) {
	end := lx.i + n
	for lx.i < end {
		r, size := utf8.DecodeRuneInString(lx.src[lx.i:])
		lx.i += size
		if r == '\n' {
			lx.line++
			lx.col = 1
		} else {
			lx.col++
		}
	}
}

func (lx *lexer) peekByte(off int) byte {
	if lx.i+off < len(lx.src) {
		return lx.src[lx.i+off]
	}
	return 0
}

func (lx *lexer) skipSpace() error {
	lx.space = false
	for lx.i < len(lx.src) {
		r, size := utf8.DecodeRuneInString(lx.src[lx.i:])
		switch {
		case unicode.IsSpace(r):
			lx.advance(size)
		case r == '/' && lx.peekByte(1) == '/':
			n := strings.IndexByte(lx.src[lx.i:], '\n')
			if n < 0 {
				n = len(lx.src) - lx.i
			}
			lx.advance(n)
		default:
			return nil
		}
		lx.space = true
	}
	return nil
}

func (lx *lexer) emit(k tokKind, text string, start Pos, off int) {
	lx.toks = append(lx.toks, token{kind: k, text: text, pos: start, off: off, end: lx.i, space: lx.space})
}

func isIdentStart(r rune) bool { return r == '_' || r == '$' || unicode.IsLetter(r) }
func isIdentPart(r rune) bool  { return r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) }

func (lx *lexer) identEnd(from int) int {
	j := from
	for j < len(lx.src) {
		r, size := utf8.DecodeRuneInString(lx.src[j:])
		if !isIdentPart(r) {
			break
		}
		j += size
	}
	return j
}

func (lx *lexer) next() error {
	start, off := lx.pos(), lx.i
	r, size := utf8.DecodeRuneInString(lx.src[lx.i:])
	c := lx.src[lx.i]
	switch {
	case r == utf8.RuneError && size == 1:
		return syntaxErrorf(start, "invalid UTF-8 in query")
	case c == '"' || c == '\'':
		return lx.str(start, off, false)
	case c == '@' && (lx.peekByte(1) == '"' || lx.peekByte(1) == '\''):
		lx.advance(1)
		return lx.str(start, off, true)
	case c == '`' && strings.HasPrefix(lx.src[lx.i:], "```"):
		end := strings.Index(lx.src[lx.i+3:], "```")
		if end < 0 {
			return syntaxErrorf(start, "unterminated ``` string")
		}
		text := lx.src[lx.i+3 : lx.i+3+end]
		lx.advance(end + 6)
		lx.emit(tString, text, start, off)
		return nil
	case isDigit(c):
		return lx.number(start, off)
	case isIdentStart(r):
		return lx.ident(start, off)
	case c == '!' && lx.i+1 < len(lx.src):
		r2, _ := utf8.DecodeRuneInString(lx.src[lx.i+1:])
		if unicode.IsLetter(r2) { // !contains, !in, !in~, !has, !between ...
			end := lx.identEnd(lx.i + 1)
			if lx.src[lx.i+1:end] == "in" && end < len(lx.src) && lx.src[end] == '~' {
				end++
			}
			text := lx.src[lx.i:end]
			lx.advance(end - lx.i)
			lx.emit(tIdent, text, start, off)
			return nil
		}
	}
	for _, p := range []string{"==", "!=", "<>", "<=", ">=", "=~", "!~", ".."} {
		if strings.HasPrefix(lx.src[lx.i:], p) {
			lx.advance(2)
			lx.emit(tPunct, p, start, off)
			return nil
		}
	}
	if strings.IndexByte("|()[]{},;.:=<>+-*/%~!", c) >= 0 {
		lx.advance(1)
		lx.emit(tPunct, string(c), start, off)
		return nil
	}
	return syntaxErrorf(start, "unexpected character %q", r)
}

func (lx *lexer) ident(start Pos, off int) error {
	_, first := utf8.DecodeRuneInString(lx.src[lx.i:])
	end := lx.identEnd(lx.i + first)
	word := lx.src[lx.i:end]
	// h"..." and h'...' are obfuscated strings; the value is the same.
	if (word == "h" || word == "H") && end < len(lx.src) {
		if q := lx.src[end]; q == '"' || q == '\'' {
			lx.advance(1)
			return lx.str(start, off, false)
		}
		if lx.src[end] == '@' && end+1 < len(lx.src) && (lx.src[end+1] == '"' || lx.src[end+1] == '\'') {
			lx.advance(2)
			return lx.str(start, off, true)
		}
	}
	if word == "in" && end < len(lx.src) && lx.src[end] == '~' {
		end++
		word = "in~"
	}
	if word == "datetime" || word == "time" || word == "timespan" {
		// datetime(2024-01-02 10:00) and time(1.02:03:04) hold free text.
		j := end
		for j < len(lx.src) && (lx.src[j] == ' ' || lx.src[j] == '\t') {
			j++
		}
		if j < len(lx.src) && lx.src[j] == '(' {
			close := strings.IndexByte(lx.src[j:], ')')
			if close < 0 {
				return syntaxErrorf(start, "missing ')' after %s(", word)
			}
			text := strings.TrimSpace(lx.src[j+1 : j+close])
			lx.advance(j + close + 1 - lx.i)
			k := tDateTime
			if word != "datetime" {
				k = tTimeLit
			}
			lx.emit(k, text, start, off)
			return nil
		}
	}
	lx.advance(end - lx.i)
	lx.emit(tIdent, word, start, off)
	return nil
}

func (lx *lexer) number(start Pos, off int) error {
	s := lx.src
	j := lx.i
	if s[j] == '0' && j+1 < len(s) && (s[j+1] == 'x' || s[j+1] == 'X') {
		k := j + 2
		for k < len(s) && strings.IndexByte("0123456789abcdefABCDEF", s[k]) >= 0 {
			k++
		}
		n, err := strconv.ParseUint(s[j+2:k], 16, 64)
		if err != nil {
			return syntaxErrorf(start, "invalid hexadecimal number %q", s[j:k])
		}
		lx.advance(k - j)
		lx.emit(tLong, strconv.FormatInt(int64(n), 10), start, off)
		return nil
	}
	for j < len(s) && isDigit(s[j]) {
		j++
	}
	real := false
	if j+1 < len(s) && s[j] == '.' && isDigit(s[j+1]) {
		real = true
		j++
		for j < len(s) && isDigit(s[j]) {
			j++
		}
	}
	if j < len(s) && (s[j] == 'e' || s[j] == 'E') {
		k := j + 1
		if k < len(s) && (s[k] == '+' || s[k] == '-') {
			k++
		}
		if k < len(s) && isDigit(s[k]) {
			real = true
			for k < len(s) && isDigit(s[k]) {
				k++
			}
			j = k
		}
	}
	num := s[lx.i:j]
	if j < len(s) {
		if r, _ := utf8.DecodeRuneInString(s[j:]); unicode.IsLetter(r) {
			end := lx.identEnd(j)
			unit := s[j:end]
			t, ok := unitSpan(num, unit)
			if !ok {
				return syntaxErrorf(start, "invalid number or timespan %q (timespan units: d, h, m, s, ms, microsecond, tick)", s[lx.i:end])
			}
			lx.advance(end - lx.i)
			lx.toks = append(lx.toks, token{kind: tTimeSpan, text: s[off:lx.i], val: t, pos: start, off: off, end: lx.i, space: lx.space})
			return nil
		}
	}
	lx.advance(j - lx.i)
	if real {
		lx.emit(tReal, num, start, off)
	} else {
		lx.emit(tLong, num, start, off)
	}
	return nil
}

// str lexes a quoted string; verbatim strings (@"...") take backslashes
// literally and double the quote to include it.
func (lx *lexer) str(start Pos, off int, verbatim bool) error {
	q := lx.src[lx.i]
	lx.advance(1)
	var b strings.Builder
	for {
		if lx.i >= len(lx.src) || lx.src[lx.i] == '\n' {
			return syntaxErrorf(start, "unterminated string literal")
		}
		c := lx.src[lx.i]
		switch {
		case c == q && verbatim && lx.peekByte(1) == q:
			b.WriteByte(q)
			lx.advance(2)
		case c == q:
			lx.advance(1)
			lx.emit(tString, b.String(), start, off)
			return nil
		case c == '\\' && !verbatim:
			if lx.i+1 >= len(lx.src) {
				return syntaxErrorf(start, "unterminated string literal")
			}
			e := lx.src[lx.i+1]
			switch e {
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			case 'r':
				b.WriteByte('\r')
			case '0':
				b.WriteByte(0)
			case 'a':
				b.WriteByte('\a')
			case 'b':
				b.WriteByte('\b')
			case 'f':
				b.WriteByte('\f')
			case 'v':
				b.WriteByte('\v')
			case 'u':
				if lx.i+6 <= len(lx.src) {
					if n, err := strconv.ParseUint(lx.src[lx.i+2:lx.i+6], 16, 32); err == nil {
						b.WriteRune(rune(n))
						lx.advance(6)
						continue
					}
				}
				return syntaxErrorf(lx.pos(), "invalid \\u escape in string literal")
			default: // \\ \' \" and anything else: the character itself
				lx.advance(1)
				r, size := utf8.DecodeRuneInString(lx.src[lx.i:])
				b.WriteRune(r)
				lx.advance(size)
				continue
			}
			lx.advance(2)
		default:
			r, size := utf8.DecodeRuneInString(lx.src[lx.i:])
			b.WriteRune(r)
			lx.advance(size)
		}
	}
}
