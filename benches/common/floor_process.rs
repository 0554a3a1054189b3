//! The floor as a whole process, for `benches/compare.py`: `floor EVENT.json` reads the file,
//! runs [`floor::floor`] and prints the bytes it serialized. Build it with
//! `cargo build --release --example floor`.

#[path = "floor.rs"]
mod floor;

// The sink's allocator (`src/main.rs`), so the two processes differ only in what they do.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let path = std::env::args().nth(1).expect("usage: floor EVENT.json");
    let bytes = std::fs::read(&path).expect("event file");
    println!("{}", floor::floor(&bytes));
}
