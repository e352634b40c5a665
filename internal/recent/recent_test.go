package recent_test

import (
	"fmt"
	"runtime"
	"strconv"
	"testing"

	"github.com/chatwire/chatwire/internal/recent"
)

func TestAddReportsNewKeysOnce(t *testing.T) {
	s := recent.New(8)
	if !s.Add("a") || !s.Add("b") {
		t.Fatal("first adds must be new")
	}
	if s.Add("a") {
		t.Fatal("a second add of a must not be new")
	}
	if !s.Has("a") || !s.Has("b") || s.Has("c") {
		t.Fatal("Has disagrees with Add")
	}
	if s.Len() != 2 {
		t.Fatalf("Len = %d, want 2", s.Len())
	}
}

func TestOldestLeavesAtTheLimit(t *testing.T) {
	s := recent.New(3)
	for _, k := range []string{"a", "b", "c", "d"} {
		s.Add(k)
	}
	if s.Has("a") {
		t.Fatal("a should have left when d came")
	}
	for _, k := range []string{"b", "c", "d"} {
		if !s.Has(k) {
			t.Fatalf("%s should still be there", k)
		}
	}
	if s.Len() != 3 {
		t.Fatalf("Len = %d, want 3", s.Len())
	}
	// The ring keeps turning: e pushes out b, f pushes out c.
	s.Add("e")
	s.Add("f")
	if s.Has("b") || s.Has("c") || !s.Has("d") || !s.Has("e") || !s.Has("f") {
		t.Fatal("the oldest keys must leave first")
	}
	if !s.Add("a") {
		t.Fatal("a key that left is new again")
	}
}

func TestEmptyKeyIsNeverRecorded(t *testing.T) {
	s := recent.New(2)
	for range 2 {
		if !s.Add("") {
			t.Fatal("the empty key is always new")
		}
	}
	if s.Len() != 0 || s.Has("") {
		t.Fatal("the empty key must not be recorded")
	}
}

func TestZeroLimitMeansDefault(t *testing.T) {
	s := recent.New(0)
	for i := range recent.DefaultLimit + 1 {
		s.Add(strconv.Itoa(i))
	}
	if s.Len() != recent.DefaultLimit || s.Has("0") || !s.Has("1") {
		t.Fatalf("Len = %d; want the default limit, oldest gone", s.Len())
	}
}

// A set grows with use: a few keys cost a few entries, not the limit.
func TestGrowsWithUse(t *testing.T) {
	const sets = 100
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	keep := make([]*recent.Set, sets)
	for i := range keep {
		keep[i] = recent.New(1 << 20)
		keep[i].Add("a")
	}
	runtime.ReadMemStats(&after)
	// A preallocated 2^20-entry table would cost megabytes per set.
	if perSet := (after.TotalAlloc - before.TotalAlloc) / sets; perSet > 4096 {
		t.Fatalf("a set of one key allocated %d bytes: it must not preallocate its limit", perSet)
	}
	runtime.KeepAlive(keep)
}

func Example() {
	seen := recent.New(2)
	for _, id := range []string{"m1", "m2", "m1", "m3", "m1"} {
		fmt.Println(id, seen.Add(id))
	}
	// Output:
	// m1 true
	// m2 true
	// m1 false
	// m3 true
	// m1 true
}

// A set does not keep its keys' memory: ids cut out of 1 KiB frames leave
// the frames free once the set holds the ids (a full set of 4,096 would
// otherwise pin 4 MiB).
func TestKeysDoNotPinTheirFrames(t *testing.T) {
	s := recent.New(recent.DefaultLimit)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for i := range recent.DefaultLimit {
		frame := fmt.Sprintf(`{"id":"6f1c2e4a-9b3d-4c7e-8a15-%012d"}%1000s`, i, "")
		if !s.Add(frame[7:43]) {
			t.Fatalf("key %d not new", i)
		}
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	grown := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	if grown > 1<<20 {
		t.Fatalf("a set of %d ids holds %d KiB: it keeps the frames they were cut from", s.Len(), grown>>10)
	}
	if !s.Has(fmt.Sprintf("6f1c2e4a-9b3d-4c7e-8a15-%012d", 7)) {
		t.Fatal("an id added is not in the set")
	}
	runtime.KeepAlive(s)
}

// BenchmarkAddNew adds a new 36-byte id to a full set of 4,096, as a data
// source does for every message: the oldest id leaves.
func BenchmarkAddNew(b *testing.B) {
	ids := make([]string, 8192)
	for i := range ids {
		ids[i] = fmt.Sprintf("6f1c2e4a-9b3d-4c7e-8a15-%012d", i)
	}
	s := recent.New(recent.DefaultLimit)
	for _, id := range ids[:recent.DefaultLimit] {
		s.Add(id)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		s.Add(ids[(recent.DefaultLimit+i)%len(ids)])
	}
}
