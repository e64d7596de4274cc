package kql

import (
	"strconv"
	"strings"
	"time"
)

// Datetimes and timespans are counted in ticks of 100 ns, like Kusto;
// datetimes from the Unix epoch. Kusto's range (years 1 to 9999) fits
// easily in an int64.
const (
	ticksPerSecond = int64(10_000_000)
	ticksPerMinute = 60 * ticksPerSecond
	ticksPerHour   = 60 * ticksPerMinute
	ticksPerDay    = 24 * ticksPerHour
)

// minTicks and maxTicks bound datetimes to 0001-01-01 .. 9999-12-31.
var (
	minTicks = timeToTicks(time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC))
	maxTicks = timeToTicks(time.Date(9999, 12, 31, 23, 59, 59, 999999900, time.UTC))
)

func timeToTicks(t time.Time) int64 {
	return t.Unix()*ticksPerSecond + int64(t.Nanosecond()/100)
}

func ticksToTime(t int64) time.Time {
	sec, frac := floorDiv(t, ticksPerSecond)
	return time.Unix(sec, frac*100).UTC()
}

// floorDiv returns the floor quotient and the non-negative remainder.
func floorDiv(a, b int64) (int64, int64) {
	q, r := a/b, a%b
	if r < 0 {
		q--
		r += b
	}
	return q, r
}

// formatDateTime renders ticks as ISO 8601 in UTC, with up to seven
// fractional digits and trailing zeros removed: 2026-08-23T10:00:00Z,
// 2026-08-23T10:00:00.5Z.
func formatDateTime(t int64) string {
	tm := ticksToTime(t)
	b := make([]byte, 0, 28)
	b = tm.AppendFormat(b, "2006-01-02T15:04:05")
	_, frac := floorDiv(t, ticksPerSecond)
	if frac != 0 {
		s := strconv.FormatInt(frac+ticksPerSecond, 10)[1:] // 7 digits, zero-padded
		b = append(b, '.')
		b = append(b, strings.TrimRight(s, "0")...)
	}
	return string(append(b, 'Z'))
}

// parseDateTime parses the datetime forms Kusto accepts: ISO 8601 (date,
// optional time with 'T' or a space, optional fraction, optional Z or
// offset) and RFC 822/850/1123. A value without a zone is UTC.
func parseDateTime(s string) (int64, bool) {
	s = strings.TrimSpace(s)
	if t, ok := parseISODateTime(s); ok {
		return t, true
	}
	for _, layout := range []string{time.RFC1123, time.RFC1123Z, time.RFC850, time.RFC822, time.RFC822Z, time.ANSIC,
		"Mon, 2 Jan 2006 15:04:05 MST", "2 Jan 2006 15:04:05 MST", "2 Jan 2006 15:04:05 -0700", "2006-01-02 15:04:05 -0700"} {
		if t, err := time.Parse(layout, s); err == nil {
			return inRange(timeToTicks(t))
		}
	}
	return 0, false
}

func inRange(t int64) (int64, bool) {
	if t < minTicks || t > maxTicks {
		return 0, false
	}
	return t, true
}

// parseISODateTime parses YYYY-MM-DD[(T| )hh:mm[:ss[.f+]]][Z|±hh[:]mm].
func parseISODateTime(s string) (int64, bool) {
	p := &scan{s: s}
	year, ok1 := p.digits(4, 4)
	ok2 := p.byte('-')
	month, ok3 := p.digits(1, 2)
	ok4 := p.byte('-')
	day, ok5 := p.digits(1, 2)
	if !(ok1 && ok2 && ok3 && ok4 && ok5) {
		return 0, false
	}
	var hour, minute, sec, nanos int
	if p.byte('T') || p.byte('t') || p.byte(' ') {
		var ok bool
		if hour, ok = p.digits(1, 2); !ok || !p.byte(':') {
			return 0, false
		}
		if minute, ok = p.digits(2, 2); !ok {
			return 0, false
		}
		if p.byte(':') {
			if sec, ok = p.digits(2, 2); !ok {
				return 0, false
			}
			if p.byte('.') {
				start := p.i
				f, ok := p.digits(1, 9)
				if !ok {
					return 0, false
				}
				for n := p.i - start; n < 9; n++ {
					f *= 10
				}
				nanos = f
				for p.i < len(p.s) && isDigit(p.s[p.i]) { // more than 9 digits: ignore the rest
					p.i++
				}
			}
		}
	}
	for p.byte(' ') {
	}
	offset := 0
	switch {
	case p.byte('Z') || p.byte('z'):
	case p.i < len(p.s) && (p.s[p.i] == '+' || p.s[p.i] == '-'):
		sign := 1
		if p.s[p.i] == '-' {
			sign = -1
		}
		p.i++
		oh, ok := p.digits(2, 2)
		if !ok {
			return 0, false
		}
		p.byte(':')
		om, ok := p.digits(2, 2)
		if !ok {
			return 0, false
		}
		offset = sign * (oh*3600 + om*60)
	case strings.EqualFold(p.s[p.i:], "UTC") || strings.EqualFold(p.s[p.i:], "GMT"):
		p.i = len(p.s)
	}
	if p.i != len(p.s) || month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || sec > 59 {
		return 0, false
	}
	t := time.Date(year, time.Month(month), day, hour, minute, sec, nanos, time.UTC)
	if t.Day() != day { // 2026-02-30
		return 0, false
	}
	return inRange(timeToTicks(t) - int64(offset)*ticksPerSecond)
}

// scan is a tiny cursor for hand-written parsers.
type scan struct {
	s string
	i int
}

func (p *scan) byte(c byte) bool {
	if p.i < len(p.s) && p.s[p.i] == c {
		p.i++
		return true
	}
	return false
}

// digits reads between min and max decimal digits.
func (p *scan) digits(min, max int) (int, bool) {
	n, v := 0, 0
	for n < max && p.i < len(p.s) && isDigit(p.s[p.i]) {
		v = v*10 + int(p.s[p.i]-'0')
		p.i++
		n++
	}
	return v, n >= min
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// formatTimeSpan renders ticks like .NET's constant ("c") format, which
// Kusto uses: [-][d.]hh:mm:ss[.fffffff].
func formatTimeSpan(t int64) string {
	var b []byte
	u := uint64(t)
	if t < 0 {
		b = append(b, '-')
		u = uint64(-t) // also right for math.MinInt64
	}
	day := uint64(ticksPerDay)
	if d := u / day; d > 0 {
		b = strconv.AppendUint(b, d, 10)
		b = append(b, '.')
	}
	u %= day
	two := func(n uint64) {
		b = append(b, byte('0'+n/10), byte('0'+n%10))
	}
	two(u / uint64(ticksPerHour))
	b = append(b, ':')
	two(u % uint64(ticksPerHour) / uint64(ticksPerMinute))
	b = append(b, ':')
	two(u % uint64(ticksPerMinute) / uint64(ticksPerSecond))
	if f := u % uint64(ticksPerSecond); f != 0 {
		b = append(b, '.')
		b = append(b, strconv.FormatUint(f+uint64(ticksPerSecond), 10)[1:]...)
	}
	return string(b)
}

// timespanUnits maps the suffixes of timespan literals (1d, 2h, 30m, 10s,
// 100ms, 5microseconds, 3ticks) to ticks.
var timespanUnits = map[string]int64{
	"d": ticksPerDay, "day": ticksPerDay, "days": ticksPerDay,
	"h": ticksPerHour, "hr": ticksPerHour, "hrs": ticksPerHour, "hour": ticksPerHour, "hours": ticksPerHour,
	"m": ticksPerMinute, "min": ticksPerMinute, "mins": ticksPerMinute, "minute": ticksPerMinute, "minutes": ticksPerMinute,
	"s": ticksPerSecond, "sec": ticksPerSecond, "secs": ticksPerSecond, "second": ticksPerSecond, "seconds": ticksPerSecond,
	"ms": ticksPerSecond / 1000, "milli": ticksPerSecond / 1000, "millis": ticksPerSecond / 1000,
	"millisecond": ticksPerSecond / 1000, "milliseconds": ticksPerSecond / 1000,
	"microsecond": 10, "microseconds": 10,
	"tick": 1, "ticks": 1,
}

// unitSpan returns number × unit in ticks.
func unitSpan(number string, unit string) (int64, bool) {
	mul, ok := timespanUnits[strings.ToLower(unit)]
	if !ok {
		return 0, false
	}
	if n, err := strconv.ParseInt(number, 10, 64); err == nil {
		if n != 0 && (n*mul/mul != n) {
			return 0, false
		}
		return n * mul, true
	}
	f, err := strconv.ParseFloat(number, 64)
	if err != nil || f != f || f*float64(mul) > 9e18 || f*float64(mul) < -9e18 {
		return 0, false
	}
	return int64(f * float64(mul)), true
}

// parseTimeSpan parses a timespan: a number with a unit (1.5h, -30m), a
// plain number of days, or the clock form [-][d.]hh:mm[:ss[.fffffff]].
func parseTimeSpan(s string) (int64, bool) {
	s = strings.TrimSpace(s)
	neg := false
	body := s
	if strings.HasPrefix(body, "-") {
		neg, body = true, body[1:]
	}
	if body == "" {
		return 0, false
	}
	if strings.Contains(body, ":") {
		t, ok := parseClockSpan(body)
		if !ok {
			return 0, false
		}
		if neg {
			t = -t
		}
		return t, true
	}
	i := 0
	for i < len(body) && (isDigit(body[i]) || body[i] == '.') {
		i++
	}
	if i == 0 {
		return 0, false
	}
	unit := strings.TrimSpace(body[i:])
	if unit == "" {
		unit = "d"
	}
	t, ok := unitSpan(body[:i], unit)
	if !ok {
		return 0, false
	}
	if neg {
		t = -t
	}
	return t, true
}

func parseClockSpan(s string) (int64, bool) {
	p := &scan{s: s}
	var days int64
	first, ok := p.digits(1, 8)
	if !ok {
		return 0, false
	}
	hours := first
	if p.byte('.') {
		days = int64(first)
		if hours, ok = p.digits(1, 2); !ok {
			return 0, false
		}
	}
	if !p.byte(':') {
		return 0, false
	}
	minutes, ok := p.digits(2, 2)
	if !ok {
		return 0, false
	}
	var secs, frac int
	if p.byte(':') {
		if secs, ok = p.digits(2, 2); !ok {
			return 0, false
		}
		if p.byte('.') {
			start := p.i
			if frac, ok = p.digits(1, 7); !ok {
				return 0, false
			}
			for n := p.i - start; n < 7; n++ {
				frac *= 10
			}
		}
	}
	if p.i != len(p.s) || hours > 23 || minutes > 59 || secs > 59 {
		return 0, false
	}
	return days*ticksPerDay + int64(hours)*ticksPerHour + int64(minutes)*ticksPerMinute +
		int64(secs)*ticksPerSecond + int64(frac), true
}
