//! Placeholder until this crate is built out.

#[cfg(test)]
mod tests {
    #[test]
    fn builds() {
        assert_eq!(1 + 1, 2);
    }
}
