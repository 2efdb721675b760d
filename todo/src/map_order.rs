//! The order in which the BEAM (OTP 25, x86-64) walks a map of more than 32 integer keys, so that
//! `Todo.List.entries/2` (`Map.values/1` order) answers in the book's order for big lists too.
//! Up to 32 keys a map is a flatmap, walked in key order; above, a HAMT, walked in hash order.

/// Below this size a map is a flatmap (`MAP_SMALL_MAP_LIMIT`), walked in key order.
pub const FLATMAP_LIMIT: usize = 32;

/// Small integers (immediates) on a 64-bit BEAM: 60-bit signed.
const SMALL_MIN: i64 = -(1 << 59);
const SMALL_MAX: i64 = (1 << 59) - 1;

/// `INTERNAL_HASH_SALT` and `HCONST` of erts' `make_internal_hash/2`.
const SALT: u32 = 3_432_918_353;
const HCONST: u32 = 0x9e37_79b9;

/// The position of integer key `key` in the BEAM's walk of a HAMT: keys sort by this, smallest
/// first. `None` for keys that are not small integers (bignums hash differently).
pub fn hamt_position(key: i64) -> Option<u32> {
    if !(SMALL_MIN..=SMALL_MAX).contains(&key) {
        return None;
    }
    // The immediate term: the integer shifted left 4 bits over the small-integer tag 0xF.
    let term = ((key as u64) << 4) | 0xF;
    let hash = uint32_hash_2(term as u32, (term >> 32) as u32, HCONST, SALT);
    // A HAMT level takes 4 hash bits, lowest first; the walk visits the highest slot first.
    let mut by_level = 0u32;
    for level in 0..8 {
        by_level = (by_level << 4) | ((hash >> (4 * level)) & 0xF);
    }
    Some(!by_level)
}

/// erts' `UINT32_HASH_2`: Bob Jenkins' 96-bit mix of two words into `hash`.
fn uint32_hash_2(x: u32, y: u32, constant: u32, hash: u32) -> u32 {
    let mut a = constant.wrapping_add(x);
    let mut b = constant.wrapping_add(y);
    let mut c = hash;
    a = a.wrapping_sub(b).wrapping_sub(c) ^ (c >> 13);
    b = b.wrapping_sub(c).wrapping_sub(a) ^ (a << 8);
    c = c.wrapping_sub(a).wrapping_sub(b) ^ (b >> 13);
    a = a.wrapping_sub(b).wrapping_sub(c) ^ (c >> 12);
    b = b.wrapping_sub(c).wrapping_sub(a) ^ (a << 16);
    c = c.wrapping_sub(a).wrapping_sub(b) ^ (b >> 5);
    a = a.wrapping_sub(b).wrapping_sub(c) ^ (c >> 3);
    b = b.wrapping_sub(c).wrapping_sub(a) ^ (a << 10);
    c.wrapping_sub(a).wrapping_sub(b) ^ (b >> 15)
}

/// The keys of a map in the order the BEAM walks it (`maps:keys/1`): key order up to 32 keys,
/// hash order above; key order as well when a key is not a small integer.
pub fn beam_order(mut keys: Vec<i64>) -> Vec<i64> {
    keys.sort_unstable();
    if keys.len() > FLATMAP_LIMIT && keys.iter().all(|k| hamt_position(*k).is_some()) {
        keys.sort_by_key(|k| hamt_position(*k));
    }
    keys
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_maps_are_in_key_order() {
        assert_eq!(beam_order(vec![3, 1, 2]), [1, 2, 3]);
        assert_eq!(
            beam_order((1..=32).rev().collect()),
            (1..=32).collect::<Vec<_>>()
        );
    }

    #[test]
    fn forty_entries_as_observed_on_otp25() {
        // shared/reference/todo-design.md 1.4, and `maps:keys/1` of 1..40 on OTP 25.
        assert_eq!(
            beam_order((1..=40).collect()),
            [
                33, 12, 23, 29, 30, 39, 26, 31, 11, 37, 9, 32, 34, 25, 28, 6, 38, 13, 40, 20, 15,
                14, 2, 7, 1, 8, 3, 17, 22, 21, 4, 36, 24, 10, 35, 27, 19, 5, 18, 16
            ]
        );
    }

    #[test]
    fn only_small_integers_hash() {
        assert!(hamt_position(SMALL_MAX).is_some());
        assert!(hamt_position(SMALL_MIN).is_some());
        assert_eq!(hamt_position(SMALL_MAX + 1), None);
        assert_eq!(hamt_position(i64::MIN), None);
        let mut keys: Vec<i64> = (1..=40).collect();
        keys.push(1 << 62);
        assert_eq!(beam_order(keys.clone()), keys);
    }
}
