//! hoist-render's tests: real git repositories, the real helm and kubectl.

mod render;
