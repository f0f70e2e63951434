"""A guest's locked instructions are atomic under TCG with any vCPU count
(qemu-patches 0046).

Device models in QEMU's threads share guest memory with the vCPU: shared
rings, event channel words.  A locked instruction that TCG translates into
a plain load and store is no barrier and no atomic against them; a
uniprocessor netfront lost transmit notifications that way.  The check
reads TCG's own translation of a "lock add" run at the reset vector.
"""

import time

import pytest
from qemu.machine import QEMUMachine

from xenbed import qemu

# Real mode at 0xffff0: lock add word [0x500], 1; hlt; jmp to the hlt.
RESET_CODE = bytes([0xf0, 0x83, 0x06, 0x00, 0x05, 0x01, 0xf4, 0xeb, 0xfd])


def firmware(tmp_path):
    image = bytearray(b"\xf4" * 0x10000)
    image[0xfff0:0xfff0 + len(RESET_CODE)] = RESET_CODE
    path = tmp_path / "lock-add.bin"
    path.write_bytes(bytes(image))
    return path


def translated_ops(qemu_binary, tmp_path, smp, accel="tcg"):
    """TCG ops of the guest's first block, as -d op logs them."""
    log = tmp_path / "ops.log"
    vm = QEMUMachine(str(qemu_binary), base_temp_dir=str(tmp_path),
                     args=qemu.firmware_args() + [
                           "-M", "pc", "-accel", accel, "-smp", str(smp),
                           "-nodefaults", "-display", "none",
                           "-bios", str(firmware(tmp_path)),
                           "-d", "op", "-D", str(log)])
    vm.launch()
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            text = log.read_text() if log.exists() else ""
            # The block ends at the hlt, which exits to the main loop.
            if "OP:" in text and "exit_tb" in text:
                break
            time.sleep(0.1)
    finally:
        vm.shutdown()
    blocks = text.split("OP:")
    assert len(blocks) > 1, f"no translation logged:\n{text[:2000]}"
    return blocks[1]


def stores(ops):
    return [line for line in ops.splitlines()
            if line.strip().startswith("qemu_st")]


@pytest.mark.parametrize("smp", [1, 2])
def test_lock_add_is_an_atomic_helper_call(qemu_binary, tmp_path, smp):
    ops = translated_ops(qemu_binary, tmp_path, smp)
    # CF_PARALLEL: a helper does a host atomic (a full barrier on x86).
    assert "call atomic_add_fetchw_le" in ops, ops
    assert not stores(ops), ops


def test_check_tells_a_plain_load_and_store_apart(qemu_binary, tmp_path):
    """The round-robin TCG (thread=single, one thread for all vCPUs) still
    translates without CF_PARALLEL: what the test above would see if 0046
    were missing."""
    ops = translated_ops(qemu_binary, tmp_path, 1, "tcg,thread=single")
    assert "call atomic_" not in ops, ops
    assert len(stores(ops)) == 1, ops
