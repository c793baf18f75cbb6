"""ignite: first-boot provisioning in the spirit of CoreOS Ignition."""
__version__ = "0.1.0"
