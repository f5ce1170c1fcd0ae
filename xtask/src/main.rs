//! Project commands.

fn main() {
    println!("xtask: not built yet");
}
