package syncplan

// A sharded sync (Options.Shard, --shard I/N) is one of N runs that share a job: each lists
// both sides whole, and takes only the keys of its shard. So it sends and deletes only
// keys of its own shard: a destination key of another shard is never a deletion candidate
// here, even with DeleteExcluded, as it is another run's to judge.
//
// The delete guards are checked per shard, on this run's own plan, with two exceptions
// that keep their meaning for the job as a whole:
//
//   - The empty-source guard asks whether the SOURCE is empty, not the shard: an empty
//     shard of a source that holds keys is what N runs over few keys give, and its stale
//     destination keys are deleted as any other shard's are. A source empty as a whole
//     (after filters) refuses in every shard that has something to delete. The run lists
//     the whole source anyway, so it knows.
//   - The percentage guard applies once the whole destination (after filters) holds
//     PercentFloor keys, and compares this shard's deletions with this shard's
//     destination keys: with a uniform hash that share is the job's share, and the guard
//     does not switch off because each shard holds fewer than PercentFloor keys.
//
// --max-delete and --max-delete-size limit each shard's deletions: N shards may delete up
// to N times as much in all.

// A sharded sync that splits big files (Options.SplitOver, --shard-parts-over; up, or
// between two S3 locations, where the objects are the "files") decides every file larger
// than SplitOver in every shard, so that all of them send (or copy) their share of its
// parts when it is new or changed, and none when it is not (transfer.SplitLarge finds or
// starts the one upload they share). Such a file of another shard is carried into the
// merge, and so is every destination key of another shard, as the destination's listing
// does not say which keys hold big files: a carried key is decided only when it pairs with
// a carried file, and is passed over otherwise, so it is never a deletion candidate here.
// A big file removed from the source is deleted by its own shard alone, and an object
// being replaced by a shared upload keeps its key in the listing (the upload is not an
// object until it completes), so no shard takes it for one the source lacks. Carried keys
// count as other shards' (OtherSource, OtherDest), and a carried file found unchanged is
// recorded in this shard's state but told to Options.Unchanged (receipts) by its own
// shard alone.

// carried reports whether an entry of another shard that the filter keeps, of size, is
// carried into the merge all the same (see above).
func (s *Sync) carried(rel string, size int64, dest bool) bool {
	return s.o.SplitOver > 0 && s.o.Dir != Down && s.o.List == nil && s.otherShard(rel) &&
		(s.o.Filter == nil || s.o.Filter.Match(rel)) && (dest || size > s.o.SplitOver)
}

// otherShard reports whether rel belongs to another run's shard.
func (s *Sync) otherShard(rel string) bool {
	return s.o.Shard != nil && !s.o.Shard.Match(rel)
}

func (s *Sync) countOther(dest bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if dest {
		s.counts.OtherDest++
	} else {
		s.counts.OtherSource++
	}
}
