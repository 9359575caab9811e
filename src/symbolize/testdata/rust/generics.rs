#![allow(non_snake_case)]
use std::fmt::Debug;
pub mod outer {
    pub struct Point<T> { pub x: T }
    impl<T: std::fmt::Debug> Point<T> {
        #[inline(never)] pub fn show(&self) -> String { format!("{:?}", self.x) }
    }
    pub trait Speak { fn speak(&self) -> u32; }
    impl Speak for Point<u8> { #[inline(never)] fn speak(&self) -> u32 { self.x as u32 * 3 } }
    #[inline(never)] pub fn generic<const N: usize>(a: [u8; N]) -> usize { a.len() }
    #[inline(never)] pub fn neg<const N: i32>() -> i32 { N }
    #[inline(never)] pub fn flag<const B: bool>() -> bool { B }
    #[inline(never)] pub fn chr<const C: char>() -> char { C }
    #[inline(never)] pub fn closure_user(v: &[i32]) -> i32 { v.iter().map(|x| x * 2).sum() }
    #[inline(never)] pub fn tuple_fn(t: (u8, (i64,), &mut [u16])) -> u64 { t.0 as u64 + t.1.0 as u64 + t.2.len() as u64 }
    #[inline(never)] pub fn fnptr(f: fn(u8) -> u8, g: unsafe extern "C" fn(i32)) -> u8 { let _ = g; f(1) }
    #[inline(never)] pub fn dynamic(d: &dyn Iterator<Item = u8>) -> usize { d.size_hint().0 }
    #[inline(never)] pub fn héllo_wörld() -> u32 { 7 }
    #[inline(never)] pub fn raw(p: *const u8, q: *mut i16) -> usize { p as usize + q as usize }
    #[inline(never)] pub fn hrtb(f: &dyn for<'a> Fn(&'a str) -> &'a str) -> usize { f("x").len() }
}
extern "C" fn cb(_: i32) {}
fn id(x: u8) -> u8 { x }
fn main() {
    let p = outer::Point { x: 5u8 };
    use outer::Speak;
    let mut arr = [1u16, 2];
    let it = vec![1u8, 2].into_iter();
    println!("{} {} {} {} {} {} {} {} {}", p.show(), p.speak(), outer::generic([1u8; 3]), outer::closure_user(&[1,2,3]),
      outer::neg::<-5>(), outer::flag::<true>(), outer::chr::<'x'>(), outer::tuple_fn((1, (2,), &mut arr)), outer::fnptr(id, cb));
    println!("{} {} {} {:?}", outer::dynamic(&it), outer::héllo_wörld(), outer::raw(std::ptr::null(), std::ptr::null_mut()), outer::Point{x: "héllo"}.show());
    println!("{}", outer::hrtb(&|s| s));
    let _: &dyn Debug = &1;
}
